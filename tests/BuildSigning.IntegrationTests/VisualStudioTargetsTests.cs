using System.Text.Json;
using System.Text.RegularExpressions;
using BuildSigning.Core.Diagnostics;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Visual Studio's MSBuild (MSBuildRuntimeType Full) cannot run here: the targets' decisions are checked through the private
/// inputs they are made from (_BuildSigningMSBuildRuntimeType, _BuildSigningMSBuildVersion) with `dotnet msbuild -getProperty`,
/// the BS4038 stop with a real build, and the .NET task host path (TaskHostFactory, Runtime="NET") with a real build on the
/// .NET SDK's MSBuild 18, which runs it out of process as Visual Studio 2026 would. See docs/restore.md.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class VisualStudioTargetsTests(PackagedBuildSigning product)
{
    private static readonly string[] Decisions = ["_BuildSigningTaskFactory", "_BuildSigningTaskRuntime", "_BuildSigningMSBuildTooOld"];

    [Fact]
    public void TaskFactoryAndRuntime_FollowTheMSBuildRuntime_AndOldFullMSBuildStopsWithBS4038_BeforeAnyTaskLoads()
    {
        var (project, csproj) = CreateLibrary("vs-targets");

        Assert.Equal(["", "", ""], Get(csproj));
        Assert.Equal(["TaskHostFactory", "NET", ""], Get(csproj, "-p:_BuildSigningMSBuildRuntimeType=Full", "-p:_BuildSigningMSBuildVersion=18.0.5"));
        Assert.Equal(["TaskHostFactory", "NET", "true"], Get(csproj, "-p:_BuildSigningMSBuildRuntimeType=Full", "-p:_BuildSigningMSBuildVersion=17.14.8"));

        var old = product.Dotnet(project, "build", csproj, "-p:_BuildSigningMSBuildRuntimeType=Full", "-p:_BuildSigningMSBuildVersion=17.14.8");
        Assert.True(old.ExitCode != 0, old.ToString());
        string expected = TrustEditErrors.VisualStudioMSBuildTooOld("17.14.8").Message;
        Assert.Contains($"error {expected}", old.Output);
        Assert.DoesNotContain("MSB4062", old.Output); // no task-loading error: the check came first
        Assert.False(File.Exists(Path.Combine(project, "bin", "Debug", "net10.0", "vs-targets.dll")));

        // Turned off, old Visual Studio builds the project as if BuildSigning were not there.
        var off = product.Dotnet(project, "build", csproj, "-p:_BuildSigningMSBuildRuntimeType=Full", "-p:_BuildSigningMSBuildVersion=17.14.8", "-p:EnableBuildSigning=false");
        Assert.True(off.ExitCode == 0, off.ToString());

        // MSBuild 18 runs the tasks in its .NET task host (out of process): verification and signing both happen.
        var hosted = product.Dotnet(project, "build", csproj, "-v:n", "-p:_BuildSigningMSBuildRuntimeType=Full", "-p:_BuildSigningMSBuildVersion=18.0.5");
        Assert.True(hosted.ExitCode == 0, hosted.ToString());
        Assert.Contains("BuildSigning: verified 0 packages of", hosted.Output);
        Assert.True(File.Exists(Path.Combine(project, "bin", "Debug", "net10.0", ".buildsigning", "files.sha256")), hosted.ToString());
    }

    [Fact]
    public void TheReadyToRunTaskAssembly_IsUsedOnlyByDotnetMSBuildOnLinuxX64_AndAnOverrideWins()
    {
        var (project, csproj) = CreateLibrary("r2r-targets");
        string tasks = Path.Combine(product.PackagesFolder, "buildsigning", product.Version, "tasks", "net10.0");

        string Assembly(params string[] properties)
        {
            var result = PackagedBuildSigning.Require(product.Dotnet(project, ["msbuild", csproj, "-getProperty:BuildSigningTasksAssembly", .. properties]));
            return result.StandardOutput.Trim();
        }

        Assert.Equal(Path.Combine(tasks, "linux-x64", "BuildSigning.Tasks.dll"), Assembly("-p:_BuildSigningSdkRuntimeIdentifier=linux-x64"));
        Assert.Equal(Path.Combine(tasks, "BuildSigning.Tasks.dll"), Assembly("-p:_BuildSigningSdkRuntimeIdentifier=win-x64"));
        Assert.Equal(Path.Combine(tasks, "BuildSigning.Tasks.dll"), Assembly("-p:_BuildSigningSdkRuntimeIdentifier=linux-x64", "-p:_BuildSigningMSBuildRuntimeType=Full", "-p:_BuildSigningMSBuildVersion=18.0.5"));
        Assert.Equal("/elsewhere/BuildSigning.Tasks.dll", Assembly("-p:BuildSigningTasksAssembly=/elsewhere/BuildSigning.Tasks.dll"));

        // The precompiled code is really used: a restore (which runs VerifyDependencies) JIT-compiles none of our methods
        // but the odd static constructor. Precompiled against the wrong references, the runtime rejected every method (34 here).
        string jitLog = Path.Combine(project, "jit.txt");
        var restore = product.Dotnet(project, new Dictionary<string, string?> { ["DOTNET_JitDisasmSummary"] = "1", ["DOTNET_JitStdOutFile"] = jitLog },
            "restore", csproj, "-v:n");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("BuildSigning: verified 0 packages of", restore.Output);
        var jitted = File.ReadAllLines(jitLog).Where(l => l.Contains(": JIT compiled BuildSigning.", StringComparison.Ordinal)).ToList();
        Assert.True(jitted.Count <= 3, string.Join("\n", jitted));
    }

    /// <summary>A class library with the SDK line: its folder and project file.</summary>
    private (string Project, string Csproj) CreateLibrary(string name)
    {
        string project = product.CreateProject(name, """
            <Project Sdk="Microsoft.NET.Sdk">
              <Sdk Name="BuildSigning" Version="$(BuildSigningVersion)" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
            </Project>
            """, ("Class1.cs", "namespace Library { public static class Class1 { public static int One() => 1; } }\n"));
        return (project, Path.Combine(project, name + ".csproj"));
    }

    private string[] Get(string csproj, params string[] properties)
    {
        var result = PackagedBuildSigning.Require(product.Dotnet(Path.GetDirectoryName(csproj)!,
            ["msbuild", csproj, .. Decisions.Select(d => $"-getProperty:{d}"), .. properties]));
        using var json = JsonDocument.Parse(result.StandardOutput);
        return Decisions.Select(d => json.RootElement.GetProperty("Properties").GetProperty(d).GetString() ?? "").ToArray();
    }
}
