using System.Diagnostics;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;
using Xunit.Abstractions;
using static BuildSigning.IntegrationTests.SbomAssertions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Every published file of every SDK project type is signed: one real `dotnet publish` per project type (a web app with a
/// Razor class library, a worker service, single-file + trimmed, ReadyToRun, native AOT), then `buildsign verify` with the development key must
/// pass with no unexpected file, and every file in the publish folder must be a subject of the signed statement and a file
/// of the SPDX SBOM. Each publish goes to a folder outside its project, so the Web SDK's content globs never pick it up.
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class ProjectTypePublishTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string Rid = "linux-x64";

    private const string ConsoleProgram = "System.Console.WriteLine(\"hello from \" + typeof(Program).Assembly.GetName().Name);\n";

    /// <summary>
    /// A minimal API with its own wwwroot file and appsettings.json that references a Razor class library with static assets:
    /// the Web SDK writes web.config after Publish, the Razor SDK publishes the library's assets under wwwroot/_content/.
    /// </summary>
    [Fact]
    public void WebApp_ReferencingARazorClassLibrary_WebConfigStaticAssetsAndAppSettings_AreSigned()
    {
        product.CreateProject("TypesRazorLib", """
            <Project Sdk="Microsoft.NET.Sdk.Razor">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
            </Project>
            """,
            ("Greeting.cs", "namespace TypesRazorLib;\npublic static class Greeting { public const string Text = \"hello\"; }\n"),
            ("wwwroot/lib.css", ".greeting { color: green; }\n"));
        string project = product.CreateProject("types-web", """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <ProjectReference Include="../TypesRazorLib/TypesRazorLib.csproj" />
              </ItemGroup>
            </Project>
            """,
            ("Program.cs", """
                var app = WebApplication.CreateBuilder(args).Build();
                app.UseStaticFiles();
                app.MapGet("/", () => TypesRazorLib.Greeting.Text);
                app.Run();
                """),
            ("appsettings.json", """{ "Logging": { "LogLevel": { "Default": "Information" } }, "AllowedHosts": "*" }"""),
            ("wwwroot/site.css", "body { margin: 0; }\n"));

        string publish = Publish(project);

        AssertEveryFileSigned(publish, "types-web.dll", "web.config", "appsettings.json", "wwwroot/site.css",
            "TypesRazorLib.dll", "wwwroot/_content/TypesRazorLib/lib.css");
    }

    /// <summary>Takes the package in its MSBuild SDK form (Sdk/Sdk.targets, imported last), the other tests as a PackageReference.</summary>
    [Fact]
    public void WorkerService_WithHostingPackages_IsSigned()
    {
        string project = product.CreateProject("types-worker", """
            <Project Sdk="Microsoft.NET.Sdk.Worker">
              <Sdk Name="BuildSigning" Version="$(BuildSigningVersion)" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """,
            ("Program.cs", """
                var builder = Host.CreateApplicationBuilder(args);
                builder.Services.AddHostedService<Worker>();
                builder.Build().Run();

                sealed class Worker : BackgroundService
                {
                    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
                }
                """),
            ("appsettings.json", """{ "Logging": { "LogLevel": { "Default": "Information" } } }"""));

        string publish = Publish(project);

        AssertEveryFileSigned(publish, "types-worker.dll", "appsettings.json", "Microsoft.Extensions.Hosting.dll");
    }

    /// <summary>The common shape of a shipped self-contained tool: one trimmed executable.</summary>
    [Fact]
    public void SelfContainedSingleFileTrimmed_IsSigned()
    {
        string project = ConsoleApp("types-single-trimmed");

        string publish = Publish(project, "-r", Rid, "--self-contained", "-p:PublishSingleFile=true", "-p:PublishTrimmed=true");

        string[] files = AssertEveryFileSigned(publish, "types-single-trimmed");
        Assert.DoesNotContain("types-single-trimmed.dll", files);
        Assert.DoesNotContain("System.Private.CoreLib.dll", files);
    }

    /// <summary>Also a file written by a project's own AfterTargets="Publish" step in Directory.Build.targets (imported after the package's targets).</summary>
    [Fact]
    public void ReadyToRun_AndAFileWrittenAfterPublishByDirectoryBuildTargets_AreSigned()
    {
        string project = ConsoleApp("types-r2r");
        File.WriteAllText(Path.Combine(project, "Directory.Build.targets"), """
            <Project>
              <Target Name="WriteBuildInfo" AfterTargets="Publish">
                <WriteLinesToFile File="$(PublishDir)buildinfo.txt" Lines="built by WriteBuildInfo" Overwrite="true" />
              </Target>
            </Project>
            """);

        string publish = Publish(project, "-r", Rid, "--no-self-contained", "-p:PublishReadyToRun=true");

        AssertEveryFileSigned(publish, "types-r2r", "types-r2r.dll", "buildinfo.txt");
    }

    [Fact]
    public void NativeAot_IsSigned()
    {
        string project = ConsoleApp("types-aot");

        string publish = Publish(project, "-r", Rid, "-p:PublishAot=true");

        string[] files = AssertEveryFileSigned(publish, "types-aot");
        Assert.DoesNotContain("types-aot.dll", files);
    }

    private string ConsoleApp(string name) => product.CreateProject(name, """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
          </ItemGroup>
        </Project>
        """,
        ("Program.cs", ConsoleProgram));

    /// <summary>dotnet publish -c Release into a folder beside (not inside) the project; logs how long it took.</summary>
    private string Publish(string project, params string[] arguments)
    {
        string publish = project + "-publish";
        var stopwatch = Stopwatch.StartNew();
        PackagedBuildSigning.Require(product.Dotnet(project, ["publish", "-c", "Release", "-o", publish, .. arguments]));
        output.WriteLine($"dotnet publish {Path.GetFileName(project)} {string.Join(' ', arguments)}: {stopwatch.Elapsed.TotalSeconds:F1} s");
        return publish;
    }

    /// <summary>
    /// buildsign verify passes, and the signed statement's subjects and the SPDX SBOM's files are exactly the files in the
    /// publish folder (.buildsigning/ excepted), which include <paramref name="expected"/>. Returns those files.
    /// </summary>
    private string[] AssertEveryFileSigned(string publish, params string[] expected)
    {
        string[] files = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(publish, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".buildsigning/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        output.WriteLine($"{Path.GetFileName(publish)}: {files.Length} files: {string.Join(", ", files.Take(12))}{(files.Length > 12 ? ", ..." : "")}");
        foreach (string file in expected) Assert.Contains(file, files);

        var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Verified {files.Length} files", verify.StandardOutput);

        var subjects = Bundles.Subjects(Path.Combine(publish, ".buildsigning", "files.sigstore.json"));
        Assert.Equal(files, subjects.Keys.Order(StringComparer.Ordinal).ToArray());

        JsonArray spdxFiles = ReadJson(Path.Combine(publish, ".buildsigning", "sbom.spdx.json"))["files"]!.AsArray();
        Assert.Equal(files.Select(f => "./" + f), spdxFiles.Select(f => (string)f!["fileName"]!).Order(StringComparer.Ordinal));
        return files;
    }
}
