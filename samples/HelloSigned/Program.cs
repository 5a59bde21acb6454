using Humanizer;
using Newtonsoft.Json;
using Polly;
using Polly.Retry;
using Serilog;

// A small but real app: its dependencies are what BuildSigning records, signs and verifies.
Log.Logger = new LoggerConfiguration().WriteTo.Console().CreateLogger();

var pipeline = new ResiliencePipelineBuilder()
    .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(10) })
    .Build();

var report = pipeline.Execute(() => new
{
    Release = "HelloSigned",
    BuiltAgo = TimeSpan.FromMinutes(3).Humanize(),
    Dependencies = new[] { "Serilog", "Polly", "Humanizer", "Newtonsoft.Json" }.Length.ToWords(),
});

Log.Information("Report: {Report}", JsonConvert.SerializeObject(report));
Log.CloseAndFlush();
