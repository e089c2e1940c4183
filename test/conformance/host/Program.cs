// The conformance host: hosts the real Durable Functions extension (Microsoft.Azure.WebJobs.Extensions.DurableTask,
// DurableTask.Core and its Azure Storage provider) in a WebJobs SDK JobHost, on the storage account named by
// CONFORMANCE_STORAGE (Azurite in the tests). FUNCTIONS_WORKER_RUNTIME=node makes the extension use the same
// out-of-process orchestrator shim and local RPC endpoint that it uses for a Node.js app in Azure.
//
// Each orchestrator and activity function of the app has a stub (generated from the app's registered names,
// see test/conformance/harness/build.ts) that forwards the invocation to a Node process running the app's own
// handlers (CONFORMANCE_WORKER): the orchestrator stub posts the JSON the extension binds to a `string`
// orchestration trigger (history, input, instance id, schema version) and hands the returned orchestration
// state back to the shim; a failure comes back in the Functions host's RPC exception format
// ("Result: Failure\nException: ...\nStack: ..."), which is what the extension parses in Azure.
//
// On start-up it prints one line, "CONFORMANCE_READY <durable client JSON>", the JSON that a
// [DurableClient] string binding gives a Node.js function (rpcBaseUrl, task hub, webhook URLs).
using System.Net;
using System.Text;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.DurableTask;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs.Host.Config;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Conformance;

public static class Program
{
    public static async Task<int> Main()
    {
        string Required(string name) =>
            Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException($"{name} is not set.");

        Environment.SetEnvironmentVariable("FUNCTIONS_WORKER_RUNTIME", "node");
        var storage = Required("CONFORMANCE_STORAGE");
        var hub = Required("CONFORMANCE_HUB");
        Bridge.Worker = Required("CONFORMANCE_WORKER").TrimEnd('/');
        var webhooks = new Uri(Required("CONFORMANCE_WEBHOOKS"));
        var logFile = Environment.GetEnvironmentVariable("CONFORMANCE_LOG_FILE");

        var builder = new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = storage,
            }))
            .ConfigureLogging(l =>
            {
                l.SetMinimumLevel(LogLevel.Information);
                l.AddFilter("Microsoft", LogLevel.Warning);
                l.AddFilter("Host.Triggers.DurableTask", LogLevel.Information);
                l.AddFilter("DurableTask.AzureStorage", LogLevel.Warning);
                l.AddFilter("DurableTask.Core", LogLevel.Warning);
                l.AddFilter("Azure", LogLevel.Warning);
                if (logFile is { Length: > 0 }) l.AddProvider(new FileLoggerProvider(logFile));
            })
            .ConfigureWebJobs(b => b.AddDurableTask())
            .ConfigureServices(s =>
            {
                s.AddSingleton<IWebHookProvider>(new FixedWebHooks(webhooks));
                s.Configure<DurableTaskOptions>(o =>
                {
                    o.HubName = hub;
                    // One app per task hub here: the app lease only delays a restarted host by its lease interval.
                    o.UseAppLease = false;
                    if (Environment.GetEnvironmentVariable("CONFORMANCE_OVERRIDABLE_STATES") is { Length: > 0 } states)
                        o.OverridableExistingInstanceStates = Enum.Parse<OverridableStates>(states, ignoreCase: true);
                    if (int.TryParse(Environment.GetEnvironmentVariable("CONFORMANCE_MAX_ACTIVITIES"), out var acts)) o.MaxConcurrentActivityFunctions = acts;
                    if (int.TryParse(Environment.GetEnvironmentVariable("CONFORMANCE_MAX_ORCHESTRATORS"), out var orchs)) o.MaxConcurrentOrchestratorFunctions = orchs;
                    // Azure polls an idle queue at most every 30 s; the tests make it shorter so they wait less.
                    if (int.TryParse(Environment.GetEnvironmentVariable("CONFORMANCE_MAX_POLL_MS"), out var pollMs))
                        o.StorageProvider["maxQueuePollingInterval"] = TimeSpan.FromMilliseconds(pollMs);
                    // How long an activity message stays invisible while it runs (Azure: 5 min); an activity
                    // aborted by a host restart runs again after it.
                    // The same for an orchestration's control-queue messages (Azure: 5 min; the extension accepts
                    // 1 to 60 min): an episode cut off by a host stop is processed again after it.
                    if (int.TryParse(Environment.GetEnvironmentVariable("CONFORMANCE_CONTROL_VISIBILITY_MS"), out var ctlMs))
                        o.StorageProvider["controlQueueVisibilityTimeout"] = TimeSpan.FromMilliseconds(ctlMs);
                    if (int.TryParse(Environment.GetEnvironmentVariable("CONFORMANCE_WORKITEM_VISIBILITY_MS"), out var visMs))
                        o.StorageProvider["workItemQueueVisibilityTimeout"] = TimeSpan.FromMilliseconds(visMs);
                });
                if (Environment.GetEnvironmentVariable("CONFORMANCE_FUNCTION_TIMEOUT") is { Length: > 0 } timeout)
                {
                    // host.json functionTimeout: the Functions host applies it to every invocation.
                    s.Configure<JobHostFunctionTimeoutOptions>(o =>
                    {
                        o.Timeout = TimeSpan.Parse(timeout);
                        o.ThrowOnTimeout = true;
                        o.TimeoutWhileDebugging = true;
                    });
                }
            });

        using var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (Exception e)
        {
            // Exit at once: threads the half-started host left behind would keep the process alive.
            Console.Error.WriteLine($"The conformance host failed to start: {e}");
            Environment.Exit(2);
        }
        ApplyTimerScale(host.Services);

        var jobHost = host.Services.GetRequiredService<IJobHost>();
        await jobHost.CallAsync(nameof(ClientCapture.ConformanceClient));
        Console.Out.WriteLine("CONFORMANCE_READY " + Bridge.ClientJson);
        Console.Out.Flush();

        await host.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>
    /// CONFORMANCE_TIMER_SCALE="maximum;interval" (TimeSpans) shrinks the Azure Storage provider's long-timer
    /// limits (6 days; 3-day chunks) so that a test can see a long timer split and its chunks fire in seconds.
    /// The same provider object that the extension uses is changed, before any orchestration of the test runs.
    /// </summary>
    private static void ApplyTimerScale(IServiceProvider services)
    {
        var scale = Environment.GetEnvironmentVariable("CONFORMANCE_TIMER_SCALE");
        if (string.IsNullOrEmpty(scale)) return;
        var parts = scale.Split(';');
        var factory = services.GetServices<IDurabilityProviderFactory>().First(f => f.Name == "AzureStorage");
        var provider = factory.GetDurabilityProvider();
        provider.MaximumDelayTime = TimeSpan.Parse(parts[0]);
        provider.LongRunningTimerIntervalLength = TimeSpan.Parse(parts[1]);
    }
}

public static class ClientCapture
{
    [NoAutomaticTrigger]
    [FunctionName(nameof(ConformanceClient))]
    public static void ConformanceClient([DurableClient] string client) => Bridge.ClientJson = client;
}

/// <summary>Forwards invocations to the Node worker and turns its answers into what the Functions host returns.</summary>
public static class Bridge
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static string Worker { get; set; } = "";

    public static string ClientJson { get; set; } = "";

    /// <summary>An orchestrator episode: the JSON context in, the orchestration state (JSON text) out.</summary>
    public static async Task<string> Orchestrator(string name, string context, CancellationToken cancel)
    {
        var (status, body) = await Post($"orchestrator/{Uri.EscapeDataString(name)}", context, cancel);
        if (status == HttpStatusCode.OK) return body;
        throw WorkerFailure(status, body);
    }

    /// <summary>An activity: its input (JSON) in, its result (JSON, or none for undefined) out.</summary>
    public static async Task<JToken?> Activity(string name, IDurableActivityContext context, CancellationToken cancel)
    {
        // As the Functions host hands a trigger value to a language worker: a string as itself (the JS
        // library's activity inputs are JSON text already), anything else as JSON.
        var input = context.GetInput<JToken?>();
        var text = input is JValue { Type: JTokenType.String } s ? (string)s! : input?.ToString(Formatting.None) ?? "";
        var (status, body) = await Post($"activity/{Uri.EscapeDataString(name)}", text, cancel);
        if (status == HttpStatusCode.NoContent) return null;
        if (status == HttpStatusCode.OK) return JToken.Parse(body);
        throw WorkerFailure(status, body);
    }

    private static async Task<(HttpStatusCode, string)> Post(string path, string body, CancellationToken cancel)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var res = await Http.PostAsync($"{Worker}/{path}", content, cancel);
        return (res.StatusCode, await res.Content.ReadAsStringAsync(cancel));
    }

    /// <summary>
    /// What the Functions host raises when a language worker reports a failed invocation (its RpcException):
    /// the worker's error message and stack in this exact layout, which the extension parses.
    /// </summary>
    private static Exception WorkerFailure(HttpStatusCode status, string body)
    {
        string message, stack;
        try
        {
            var json = JObject.Parse(body);
            message = (string?)json["message"] ?? "";
            stack = (string?)json["stack"] ?? "";
        }
        catch (JsonException)
        {
            message = $"The worker answered {(int)status}: {body}";
            stack = "";
        }
        return new WorkerException($"Result: Failure\nException: {message}\nStack: {stack}");
    }
}

public sealed class WorkerException(string message) : Exception(message);

internal sealed class FixedWebHooks(Uri url) : IWebHookProvider
{
    public Uri GetUrl(IExtensionConfigProvider extension) => url;
}

internal sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly StreamWriter writer = new(File.Open(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose() => this.writer.Dispose();

    private sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.writer)
            {
                owner.writer.WriteLine($"{DateTime.UtcNow:O} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : "\n" + exception)}");
            }
        }
    }
}
