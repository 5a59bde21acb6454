using System.Collections;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks.Tests;

/// <summary>A hand-written build engine: records every logged event (with its code) and keeps registered task objects.</summary>
public sealed class MockBuildEngine : IBuildEngine4
{
    private readonly Dictionary<(object Key, RegisteredTaskObjectLifetime Lifetime), object> _objects = new();

    public List<BuildErrorEventArgs> Errors { get; } = [];
    public List<BuildWarningEventArgs> Warnings { get; } = [];
    public List<BuildMessageEventArgs> Messages { get; } = [];
    public List<CustomBuildEventArgs> CustomEvents { get; } = [];

    public int RegisterCount { get; private set; }
    public int GetRegisteredCount { get; private set; }
    public IReadOnlyCollection<object> RegisteredKeys => _objects.Keys.Select(k => k.Key).ToArray();
    public IReadOnlyCollection<object> RegisteredObjects => _objects.Values.ToArray();

    public IEnumerable<string> ErrorCodes => Errors.Select(e => e.Code);
    public IEnumerable<string> WarningCodes => Warnings.Select(w => w.Code);

    /// <summary>Every text the build would show, for "nothing secret was logged" checks.</summary>
    public IEnumerable<string> AllLoggedText =>
        Errors.Select(e => $"{e.Code} {e.Message} {e.File} {e.HelpKeyword}")
            .Concat(Warnings.Select(w => $"{w.Code} {w.Message} {w.File} {w.HelpKeyword}"))
            .Concat(Messages.Select(m => m.Message ?? ""))
            .Concat(CustomEvents.Select(c => c.Message ?? ""));

    public string Log => string.Join("\n", AllLoggedText);

    public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);
    public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(e);
    public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e);
    public void LogCustomEvent(CustomBuildEventArgs e) => CustomEvents.Add(e);

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 1;
    public int ColumnNumberOfTaskNode => 1;
    public string ProjectFileOfTaskNode => "/mock/Project.csproj";
    public bool IsRunningMultipleNodes => false;

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException();

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) =>
        throw new NotSupportedException();

    public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties,
        IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) =>
        throw new NotSupportedException();

    public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties,
        IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) =>
        throw new NotSupportedException();

    public void Yield() { }
    public void Reacquire() { }

    public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection)
    {
        RegisterCount++;
        _objects[(key, lifetime)] = obj;
    }

    public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime)
    {
        GetRegisteredCount++;
        return _objects.TryGetValue((key, lifetime), out var obj) ? obj : null;
    }

    public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) =>
        _objects.Remove((key, lifetime), out var obj) ? obj : null;

    /// <summary>What MSBuild does at the end of a build: dispose what was registered.</summary>
    public void EndBuild()
    {
        foreach (var obj in _objects.Values) (obj as IDisposable)?.Dispose();
        _objects.Clear();
    }
}
