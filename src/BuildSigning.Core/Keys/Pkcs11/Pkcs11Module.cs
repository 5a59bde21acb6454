using System.Reflection;
using System.Runtime.InteropServices;
using BuildSigning.Core.Diagnostics;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace BuildSigning.Core.Keys.Pkcs11;

/// <summary>
/// One loaded PKCS#11 module per path and process, shared by every key that uses it and finalised when the last one is
/// disposed. A module may be initialised only once per process (C_Initialize), and inside MSBuild the DSSE key and the
/// NuGet signing key of one build come from the same module; ending one must not pull the module from under the other.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);
    private static readonly object Gate = new();
    private int _references;

    private Pkcs11Module(string path, IPkcs11Library library, Pkcs11InteropFactories factories)
    {
        Path = path;
        Library = library;
        Factories = factories;
    }

    public string Path { get; }
    public IPkcs11Library Library { get; }
    public Pkcs11InteropFactories Factories { get; }

    /// <summary>Serialises the sessions' operations: a PKCS#11 session runs one operation at a time.</summary>
    public object Lock { get; } = new();

    public static Pkcs11Module Acquire(string path)
    {
        EnsureNativeResolver();
        if (!File.Exists(path))
        {
            throw Errors.Pkcs11ModuleNotLoaded(path, Directory.Exists(path) ? "it is a folder, not a library file." : "the file does not exist.");
        }
        lock (Gate)
        {
            if (Loaded.TryGetValue(path, out var module))
            {
                module._references++;
                return module;
            }
            var factories = new Pkcs11InteropFactories();
            IPkcs11Library library;
            try
            {
                library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, path, AppType.MultiThreaded);
            }
            catch (Exception e) when (e is Pkcs11Exception or UnmanagedException or LibraryArchitectureException or DllNotFoundException
                                      or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
            {
                string reason = e is Pkcs11Exception p ? $"{p.Method} returned {p.RV}" : e.Message;
                throw Errors.Pkcs11ModuleNotLoaded(path, reason, e);
            }
            module = new Pkcs11Module(path, library, factories) { _references = 1 };
            Loaded.Add(path, module);
            return module;
        }
    }

    public void Release()
    {
        lock (Gate)
        {
            if (--_references > 0) return;
            Loaded.Remove(Path);
            try
            {
                Library.Dispose();
            }
            catch (Pkcs11Exception)
            {
                // C_Finalize failing leaves nothing for us to clean up.
            }
        }
    }

    private static int _resolverInstalled;

    /// <summary>
    /// Pkcs11Interop binds dlopen from "libdl"; since glibc 2.34 (Debian 12, Ubuntu 22.04) only libdl.so.2 is installed
    /// (the unversioned libdl.so comes with the C development package) and the functions live in libc. Resolve "libdl" to
    /// the versioned library, then to libc, so no development package is needed.
    /// </summary>
    private static void EnsureNativeResolver()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _resolverInstalled, 1) == 1) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // Another resolver is already set for the assembly (a host's own): it decides.
        }
    }

    private static IntPtr ResolveLibdl(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "libdl") return IntPtr.Zero;
        foreach (string candidate in new[] { "libdl.so.2", "libdl.so", "libc.so.6" })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
