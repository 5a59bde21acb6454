using System.Security;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>nuget.config files with trustedSigners, and NuGet's own `dotnet nuget verify` run against them.</summary>
internal static class NuGetSignatureConfig
{
    /// <summary>
    /// nuget.org's repository signing certificates (docs/trust-policy.md): a consumer under signatureValidationMode=require
    /// must trust them for the nuget.org packages it restores (Newtonsoft.Json 13.0.3 is countersigned with 5A29…).
    /// </summary>
    public static readonly string[] NuGetOrgRepositoryFingerprints =
    [
        "1F4B311D9ACC115C8DC8018B5A49E00FCE6DA8E2855F9F014CA6F34570BC482D",
        "5A2901D6ADA3D18260B9C6DFE2133C95D74B9EEF6AE0E5DC334C8454D1477DF4",
        "0E5F38F57DC1BCC806D8494F4F90FBCEDD988B46760709CBEEC6F4219AA6157D",
    ];

    /// <summary>The &lt;trustedSigners&gt; element: one author trusted by SHA-256 fingerprint (self-signed, so allowUntrustedRoot), optionally nuget.org.</summary>
    public static string TrustedSigners(string authorFingerprint, bool trustNuGetOrg = false)
    {
        var xml = new System.Text.StringBuilder();
        xml.Append("  <trustedSigners>\n");
        xml.Append("    <author name=\"package-author\">\n");
        xml.Append($"      <certificate fingerprint=\"{authorFingerprint}\" hashAlgorithm=\"SHA256\" allowUntrustedRoot=\"true\" />\n");
        xml.Append("    </author>\n");
        if (trustNuGetOrg)
        {
            xml.Append($"    <repository name=\"gallery\" serviceIndex=\"{MachinePackageSource.Url}\">\n");
            foreach (string fingerprint in NuGetOrgRepositoryFingerprints)
            {
                xml.Append($"      <certificate fingerprint=\"{fingerprint}\" hashAlgorithm=\"SHA256\" allowUntrustedRoot=\"false\" />\n");
            }
            xml.Append("    </repository>\n");
        }
        xml.Append("  </trustedSigners>");
        return xml.ToString();
    }

    /// <summary>A config for `dotnet nuget verify`: no sources, only the trusted author.</summary>
    public static string WriteVerifyConfig(string path, string authorFingerprint)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /></packageSources>
            {TrustedSigners(authorFingerprint)}
            </configuration>
            """);
        return path;
    }

    /// <summary>
    /// A consumer's nuget.config under NuGet's own signatureValidationMode=require: only <paramref name="feed"/> and
    /// nuget.org as sources, the package author trusted by fingerprint and nuget.org's repository certificates.
    /// </summary>
    public static string WriteRequireConfig(string directory, string feed, string authorFingerprint)
    {
        string path = Path.Combine(directory, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="signed-packages" value="{SecurityElement.Escape(feed)}" />
                <add key="machine-source" value="{MachinePackageSource.Url}" protocolVersion="3" />
              </packageSources>
              <config>
                <add key="signatureValidationMode" value="require" />
              </config>
            {TrustedSigners(authorFingerprint, trustNuGetOrg: true)}
            </configuration>
            """);
        return path;
    }

    /// <summary>`dotnet nuget verify --all PKG --configfile CFG -v n` with the given dotnet (a trusting copy for timestamped packages).</summary>
    public static ProcessResult Verify(PackagedBuildSigning product, string package, string config, string dotnet = "dotnet") =>
        ProcessRunner.Run(dotnet, ["nuget", "verify", "--all", package, "--configfile", config, "-v", "n"],
            Path.GetDirectoryName(config), product.Environment(), TimeSpan.FromMinutes(2));
}
