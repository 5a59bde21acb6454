namespace BuildSigning.Cli;

public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Verification ran and found modified, missing or unexpected files.</summary>
    public const int VerificationFailed = 1;
    /// <summary>Bad input: a BSnnnn error (unreadable key, damaged bundle, bad signature...).</summary>
    public const int Error = 2;
}
