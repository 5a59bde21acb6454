using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Sbom;
using BuildSigning.Core.Trust;

namespace BuildSigning.Benchmarks;

/// <summary>
/// The benchmark program. Whole-process modes (run-benchmarks.sh times them next to sha256sum, openssl and dotnet):
///   gen-tree DIR [--bytes N] [--files N] [--seed N]     writes the hashing corpus (default 1 GiB over 2,000 files of mixed sizes)
///   gen-assets DIR [--packages N]                        writes a synthetic restore: DIR/obj/project.assets.json and DIR/packages/
///   hash DIR [--parallel N] [--manifest FILE]            FileDigester.DigestFiles over every file under DIR (what signing an output does)
///   verify-deps ASSETS [--cache FILE] [--policy default|allow-unsigned]
///                                                        DependencyVerifier.Verify (restore-time verification, Core entry point)
///   sbom ASSETS [--tfm TFM] [--repeat N] [--files N] [--package-files M]
///                                                    SbomDocuments.Generate (SPDX + CycloneDX) for the assets file (N published files
///                                                    listed, the first M of them the packages' runtime assets, linked to their packages;
///                                                    --parse: also parse both documents, as a publish does to sign them)
///   sign-key KEY [--pin-variable NAME] [--statements N] [--bytes N] [--repeat N]
///                                                        opens KEY (a key file or a pkcs11: URI) and signs N statements of the given size, as
///                                                        one build does; prints the median open and sign times over the repetitions
///   gate DIR [--repeat N]                                signs DIR (once), approves it with two more keys, then times OutputVerifier.Verify
///                                                        and GateEvaluator.Evaluate with a 2-of-3 policy (the deployment gate)
///   sign-noop DIR [--files N] [--packages P] [--repeat R]
///                                                        writes N files of 4 KiB, signs them with SBOMs and provenance over a synthetic
///                                                        restore of P packages, then times signing again with nothing changed: the
///                                                        fast path (saved state) and the full path (issue 15, "Cost at scale")
///   verify-profile DIR --key PUB                         where OutputVerifier.Verify of a signed folder spends its time (scan, hashing,
///                                                        file statements, further attestations), then the whole verification
///   bdn [BenchmarkDotNet arguments]                      the in-process BenchmarkDotNet suites (Benchmarks/*.cs)
/// Each whole-process mode prints one "result key=value ..." line; times are wall-clock seconds inside the process.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: BuildSigning.Benchmarks gen-tree|gen-assets|hash|verify-deps|sbom|bdn ... (see Program.cs)");
            return 2;
        }
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "gen-tree" => GenerateTree(rest),
                "gen-assets" => GenerateAssets(rest),
                "hash" => Hash(rest),
                "verify-deps" => VerifyDependencies(rest),
                "sbom" => Sbom(rest),
                "gate" => Gate(rest),
                "verify-profile" => VerifyProfile(rest),
                "sign-noop" => SignNoOp(rest),
                "bdn" => RunBenchmarkDotNet(rest),
                "sign-key" => SignWithKey(rest),
                _ => Usage(args[0]),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static int Usage(string mode)
    {
        Console.Error.WriteLine($"error: unknown mode '{mode}'");
        return 2;
    }

    private static int GenerateTree(string[] args)
    {
        string dir = Positional(args, "gen-tree DIR");
        long bytes = long.Parse(Option(args, "--bytes") ?? (1L << 30).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int files = int.Parse(Option(args, "--files") ?? "2000", CultureInfo.InvariantCulture);
        int seed = int.Parse(Option(args, "--seed") ?? "20240601", CultureInfo.InvariantCulture);
        var stopwatch = Stopwatch.StartNew();
        var tree = TreeGenerator.Generate(dir, bytes, files, seed);
        Console.WriteLine(Invariant($"result mode=gen-tree files={tree.Files} bytes={tree.Bytes} largest={tree.Largest} smallest={tree.Smallest} seconds={stopwatch.Elapsed.TotalSeconds:F3}"));
        return 0;
    }

    private static int GenerateAssets(string[] args)
    {
        string dir = Positional(args, "gen-assets DIR");
        int packages = int.Parse(Option(args, "--packages") ?? "200", CultureInfo.InvariantCulture);
        string assets = SyntheticRestore.Generate(dir, packages, seed: 7);
        Console.WriteLine(Invariant($"result mode=gen-assets packages={packages} assets={assets}"));
        return 0;
    }

    private static int Hash(string[] args)
    {
        string dir = Path.GetFullPath(Positional(args, "hash DIR"));
        int parallel = int.Parse(Option(args, "--parallel") ?? "0", CultureInfo.InvariantCulture);
        string? manifest = Option(args, "--manifest");
        var stopwatch = Stopwatch.StartNew();
        // Ordinal order, like the signed manifest; the digester itself starts the largest files first.
        var paths = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var digests = FileDigester.DigestFiles(paths, DigestAlgorithms.Sha256, parallel);
        double seconds = stopwatch.Elapsed.TotalSeconds;
        long bytes = digests.Sum(d => d.Length);
        if (manifest is not null)
        {
            // sha256sum's format, so the script can check that we and the peers computed the same digests.
            using var writer = new StreamWriter(manifest) { NewLine = "\n" };
            foreach (var digest in digests) writer.WriteLine($"{digest.Sha256Hex}  {digest.Path}");
        }
        Console.WriteLine(Invariant($"result mode=hash files={paths.Length} bytes={bytes} parallel={(parallel > 0 ? parallel : Environment.ProcessorCount)} seconds={seconds:F3} gbps={bytes / seconds / 1e9:F3}"));
        return 0;
    }

    private static int VerifyDependencies(string[] args)
    {
        string assets = Path.GetFullPath(Positional(args, "verify-deps ASSETS"));
        string? cache = Option(args, "--cache");
        var policy = Option(args, "--policy") switch
        {
            null or "default" => TrustPolicy.Default,
            "allow-unsigned" => SyntheticRestore.AllowUnsignedPolicy,
            string other => throw new ArgumentException($"unknown policy '{other}' (default, allow-unsigned)"),
        };
        var stopwatch = Stopwatch.StartNew();
        var result = DependencyVerifier.Verify(new DependencyVerificationRequest(assets, policy, cache));
        double seconds = stopwatch.Elapsed.TotalSeconds;
        foreach (var error in result.Errors.Take(5)) Console.Error.WriteLine($"  {error}");
        Console.WriteLine(Invariant($"result mode=verify-deps packages={result.Packages.Count} cacheHits={result.CacheHits} errors={result.Errors.Count} warnings={result.Warnings.Count} seconds={seconds:F3} msPerPackage={seconds * 1000 / Math.Max(1, result.Packages.Count):F2}"));
        return result.Succeeded ? 0 : 1;
    }

    private static int Sbom(string[] args)
    {
        string assets = Path.GetFullPath(Positional(args, "sbom ASSETS"));
        string tfm = Option(args, "--tfm") ?? "net10.0";
        int repeat = int.Parse(Option(args, "--repeat") ?? "1", CultureInfo.InvariantCulture);
        int files = int.Parse(Option(args, "--files") ?? "0", CultureInfo.InvariantCulture);
        int packageFiles = int.Parse(Option(args, "--package-files") ?? "0", CultureInfo.InvariantCulture);
        bool parse = args.Contains("--parse");
        var input = SyntheticRestore.SbomInputFor(tfm, files, packageFiles);
        var times = new List<double>();
        var cpuTimes = new List<double>();
        SbomDocuments? documents = null;
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < repeat; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            documents = SbomDocuments.Generate(assets, input);
            if (parse)
            {
                // What a publish does next (BuildAttestations): each document becomes a statement's predicate.
                _ = System.Text.Json.Nodes.JsonNode.Parse(documents.Spdx);
                _ = System.Text.Json.Nodes.JsonNode.Parse(documents.CycloneDx);
            }
            times.Add(stopwatch.Elapsed.TotalSeconds);
            process.Refresh();
            cpuTimes.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }
        double first = times[0];
        times.Sort();
        cpuTimes.Sort();
        // CPU time (all threads of the process, GC included) is what the work costs; wall time also counts waiting for a
        // core, which on a shared machine can be most of it.
        Console.WriteLine(Invariant($"result mode=sbom components={documents!.Model.Components.Count} spdxBytes={documents.Spdx.Length} cycloneDxBytes={documents.CycloneDx.Length} warnings={documents.Warnings.Count} first={first:F4} median={times[times.Count / 2]:F4} min={times[0]:F4} cpuMedian={cpuTimes[cpuTimes.Count / 2]:F4} cpuMin={cpuTimes[0]:F4}"));
        return 0;
    }

    private static int Gate(string[] args)
    {
        string dir = Path.GetFullPath(Positional(args, "gate DIR"));
        int repeat = int.Parse(Option(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        string keys = Directory.CreateDirectory(dir + ".gate-keys").FullName;
        var signers = new[] { "build", "alice", "bob", "carol" }.Select(name =>
        {
            string path = Path.Combine(keys, name + ".pem");
            if (!File.Exists(path)) BuildSigning.Core.Keys.KeyGenerator.WriteKeyPair(BuildSigning.Core.Keys.KeyKind.EcdsaP256, path, path + ".pub", password: null, overwrite: false);
            return BuildSigning.Core.Keys.SigningKeyLoader.Load(new BuildSigning.Core.Keys.SigningKeyOptions(path));
        }).ToArray();
        if (!Directory.Exists(Path.Combine(dir, ".buildsigning")))
        {
            var signing = Stopwatch.StartNew();
            BuildSigning.Core.Outputs.OutputSigner.Sign(new BuildSigning.Core.Outputs.OutputSigningRequest(dir,
                new BuildSigning.Core.Outputs.OutputDescription(BuildSigning.Core.Outputs.OutputDescription.PublishKind, "App.csproj")), signers[0]);
            Console.WriteLine(Invariant($"signed in {signing.Elapsed.TotalSeconds:F3} s"));
        }
        BuildSigning.Core.Gate.Approver.Approve(dir, signers[1], [signers[0].PublicKey]);
        BuildSigning.Core.Gate.Approver.Approve(dir, signers[2], [signers[0].PublicKey]);
        foreach (var signer in signers) File.WriteAllText(Path.Combine(keys, signer.Id.Hex[..8] + ".pub.pem"), signer.PublicKey.ExportPem());
        string policyPath = Path.Combine(keys, "policy.json");
        File.WriteAllText(policyPath, "{ \"version\": 1, \"keys\": [" + string.Join(", ", signers.Select((k, i) => $"{{ \"name\": \"k{i}\", \"publicKeyFile\": \"{k.Id.Hex[..8]}.pub.pem\" }}"))
            + "], \"threshold\": { \"count\": 2, \"keys\": [\"k1\", \"k2\", \"k3\"] } }");
        var policy = BuildSigning.Core.Gate.GatePolicyReader.ReadFile(policyPath);
        var verifyTimes = new List<double>();
        var gateTimes = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            var report = BuildSigning.Core.Outputs.OutputVerifier.Verify(dir, [signers[0].PublicKey]);
            verifyTimes.Add(stopwatch.Elapsed.TotalSeconds);
            if (!report.Succeeded) throw new ArgumentException("the folder does not verify");
            stopwatch.Restart();
            var result = BuildSigning.Core.Gate.GateEvaluator.Evaluate(dir, policy);
            gateTimes.Add(stopwatch.Elapsed.TotalSeconds);
            if (!result.Passed) throw new ArgumentException("the gate failed: " + string.Join("; ", result.Checks.Where(c => !c.Passed).Select(c => c.Reason)));
        }
        verifyTimes.Sort();
        gateTimes.Sort();
        foreach (var signer in signers) signer.Dispose();
        Console.WriteLine(Invariant($"result mode=gate verifyMedian={verifyTimes[verifyTimes.Count / 2]:F3} gateMedian={gateTimes[gateTimes.Count / 2]:F3} verifyMin={verifyTimes[0]:F3} gateMin={gateTimes[0]:F3}"));
        return 0;
    }

    /// <summary>
    /// The signing of an unchanged publish folder, in process (what BuildSigningSignPublishOutput costs without MSBuild): N files
    /// of 4 KiB, SBOMs and provenance over a synthetic restore of P packages, signed once, then signed again R times with
    /// nothing changed, with the saved state (fast path) and without it (the full path: digest cache, documents, verification).
    /// </summary>
    private static int SignNoOp(string[] args)
    {
        string dir = Path.GetFullPath(Positional(args, "sign-noop DIR [--files N] [--packages P] [--repeat R]"));
        int files = int.Parse(Option(args, "--files") ?? "20000", CultureInfo.InvariantCulture);
        int packages = int.Parse(Option(args, "--packages") ?? "40", CultureInfo.InvariantCulture);
        int repeat = int.Parse(Option(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        string output = Path.Combine(dir, "publish");
        var random = new Random(7);
        byte[] content = new byte[4096];
        for (int i = 0; i < files; i++)
        {
            random.NextBytes(content);
            string path = Path.Combine(output, $"d{i % 200:D3}", $"f{i:D6}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
        string assets = SyntheticRestore.Generate(Path.Combine(dir, "restore"), packages, seed: 7);
        string keyPath = Path.Combine(dir, "key.pem");
        BuildSigning.Core.Keys.KeyGenerator.WriteKeyPair(BuildSigning.Core.Keys.KeyKind.EcdsaP256, keyPath, keyPath + ".pub", password: null, overwrite: true);
        using var key = BuildSigning.Core.Keys.SigningKeyLoader.Load(new BuildSigning.Core.Keys.SigningKeyOptions(keyPath));
        string cache = Path.Combine(Directory.CreateDirectory(Path.Combine(dir, "obj")).FullName, "publish.digests");

        var options = new BuildSigning.Core.Outputs.BuildAttestationOptions
        {
            AssetsFile = assets,
            Sbom = SyntheticRestore.SbomInputFor("net10.0"),
            Provenance = new BuildSigning.Core.Provenance.ProvenanceInput
            {
                Command = "publish",
                ProjectPath = Path.Combine(dir, "App.csproj"),
                TargetFramework = "net10.0",
                SdkVersion = "10.0.100",
                Builder = new BuildSigning.Core.Provenance.BuilderInfo("https://example.com/local", "local", null),
                ToolVersion = "0.1.0",
            },
            Environment = _ => null,
        };
        (double Seconds, BuildSigning.Core.Outputs.OutputSigningResult Result) SignOnce(bool fastPath)
        {
            if (!fastPath) File.Delete(cache + ".state");
            var stopwatch = Stopwatch.StartNew();
            var warnings = new List<BuildSigning.Core.Diagnostics.Diagnostic>();
            // As the task does: the attestation input fingerprint is made on every run (its cost grows with the packages).
            string inputs = BuildSigning.Core.Outputs.BuildAttestations.InputFingerprint(options, warnings);
            var result = BuildSigning.Core.Outputs.OutputSigner.Sign(new BuildSigning.Core.Outputs.OutputSigningRequest(output,
                new BuildSigning.Core.Outputs.OutputDescription(BuildSigning.Core.Outputs.OutputDescription.PublishKind, "App.csproj"), null, cache)
            {
                Algorithms = DigestAlgorithms.Sha256 | DigestAlgorithms.Sha1,
                Attestations = (names, digests) => BuildSigning.Core.Outputs.BuildAttestations.ForFiles(options, names, digests, warnings),
                AttestationInputs = inputs,
            }, key);
            return (stopwatch.Elapsed.TotalSeconds, result);
        }

        double first = SignOnce(fastPath: false).Seconds;
        Thread.Sleep(2500); // past the racy window of the files and the bundles just written
        SignOnce(fastPath: false); // saves a state whose stamps are all settled
        var fast = new List<double>();
        var full = new List<double>();
        bool allUpToDate = true;
        for (int i = 0; i < repeat; i++)
        {
            var (seconds, result) = SignOnce(fastPath: true);
            allUpToDate &= result.UpToDate;
            fast.Add(seconds);
            full.Add(SignOnce(fastPath: false).Seconds);
        }
        fast.Sort();
        full.Sort();
        long attestationBytes = Directory.GetFiles(Path.Combine(output, ".buildsigning")).Sum(f => new FileInfo(f).Length);
        Console.WriteLine(Invariant($"result mode=sign-noop files={files} packages={packages} first={first:F3} fullNoOpMedian={full[repeat / 2]:F3} fastNoOpMedian={fast[repeat / 2]:F3} fastUsPerFile={fast[repeat / 2] * 1e6 / files:F1} upToDate={allUpToDate} attestationMB={attestationBytes / 1e6:F1}"));
        return allUpToDate ? 0 : 1;
    }

    /// <summary>Where `buildsign verify` of a signed folder spends its time: each phase timed on its own, then the whole.</summary>
    private static int VerifyProfile(string[] args)
    {
        string dir = Path.GetFullPath(Positional(args, "verify-profile DIR --key PUB"));
        var key = BuildSigning.Core.Keys.VerificationKey.FromFile(Option(args, "--key") ?? throw new ArgumentException("--key PUB"));
        string attestations = Path.Combine(dir, ".buildsigning");
        var stopwatch = Stopwatch.StartNew();
        double Lap() { double t = stopwatch.Elapsed.TotalSeconds; stopwatch.Restart(); return t; }
        var tree = BuildSigning.Core.Outputs.OutputTree.Scan(dir, null);
        double scan = Lap();
        var digests = FileDigester.DigestFiles(tree.Files.Select(f => Path.Combine(dir, f)).ToArray());
        double hash = Lap();
        var bundles = Directory.GetFiles(attestations, "*.sigstore.json");
        long bundleBytes = bundles.Sum(b => new FileInfo(b).Length);
        var fileBundles = bundles.Where(b => Path.GetFileName(b).StartsWith("files", StringComparison.Ordinal)).ToArray();
        foreach (string b in fileBundles) BuildSigning.Core.Attestations.BundleVerifier.VerifyStatement(b, [key]);
        double fileStatements = Lap();
        foreach (string b in bundles.Except(fileBundles)) BuildSigning.Core.Attestations.BundleVerifier.VerifyStatement(b, [key]);
        double otherStatements = Lap();
        var report = BuildSigning.Core.Outputs.OutputVerifier.Verify(dir, [key]);
        double whole = Lap();
        Console.WriteLine(Invariant($"result mode=verify-profile files={tree.Files.Count} ok={report.Succeeded} bundles={bundles.Length} bundleMB={bundleBytes / 1e6:F1} scan={scan:F3} hash={hash:F3} fileStatements={fileStatements:F3} otherStatements={otherStatements:F3} verify={whole:F3} digests={digests.Count}"));
        return 0;
    }

    private static int RunBenchmarkDotNet(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static string Positional(string[] args, string usage)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal)) { i++; continue; }
            return args[i];
        }
        throw new ArgumentException($"usage: {usage}");
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        if (index < 0) return null;
        if (index + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
        return args[index + 1];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>What a build pays for its key: opening it (a file read, or module load + login for a token) and one signature per statement.</summary>
    private static int SignWithKey(string[] args)
    {
        string key = Positional(args, "sign-key KEY");
        string? pinVariable = Option(args, "--pin-variable");
        int statements = int.Parse(Option(args, "--statements") ?? "4", CultureInfo.InvariantCulture);
        int bytes = int.Parse(Option(args, "--bytes") ?? "300000", CultureInfo.InvariantCulture);
        int repeat = int.Parse(Option(args, "--repeat") ?? "20", CultureInfo.InvariantCulture);
        byte[] statement = new byte[bytes];
        new Random(7).NextBytes(statement);
        var open = new List<double>();
        var sign = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            var watch = Stopwatch.StartNew();
            using var signingKey = BuildSigning.Core.Keys.SigningKeyResolver.Resolve(
                new BuildSigning.Core.Keys.KeyConfiguration(key, pinVariable, null, RequireSigningKey: true));
            open.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            for (int s = 0; s < statements; s++) signingKey.Sign(statement);
            sign.Add(watch.Elapsed.TotalMilliseconds);
        }
        static double Median(List<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        Console.WriteLine(FormattableString.Invariant($"result open_ms={Median(open):F2} sign_ms={Median(sign):F2} statements={statements} bytes={bytes} repeat={repeat}"));
        return 0;
    }
}
