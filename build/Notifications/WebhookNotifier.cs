using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeployBuild.Health;

namespace DeployBuild.Notifications;

/// <param name="Sent">The webhook answered 2xx.</param>
/// <param name="Error">Why not, without the webhook URL.</param>
public sealed record WebhookResult(bool Sent, int? StatusCode, string? Error, TimeSpan Duration);

/// <summary>
/// Posts a Slack-compatible message (incoming webhooks, and the many chat tools that accept their
/// format). A notification is a courtesy: it never throws, so a broken webhook cannot fail or
/// stop a deploy or a rollback. The webhook URL is a bearer credential and never appears in what
/// this returns.
/// </summary>
public static class WebhookNotifier
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const int ErrorBodyChars = 200;

    public static Task<WebhookResult> SendAsync(HttpClient http, Uri webhook, Notification n, CancellationToken ct) =>
        SendAsync(http, webhook, n, Timeout, TimeProvider.System, ct);

    internal static async Task<WebhookResult> SendAsync(
        HttpClient http, Uri webhook, Notification n, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        try
        {
            var payload = BuildPayload(n).ToJsonString();
            using var request = new HttpRequestMessage(HttpMethod.Post, webhook)
            {
                Content = new StringContent(payload, Encoding.UTF8, "application/json"),
            };
            ProbeResponse response;
            try
            {
                response = await HttpProbe.SendAsync(http, request, ErrorBodyChars, drain: false, timeout, time, ct);
            }
            catch (TimeoutException ex)
            {
                return Failed(null, $"webhook at {webhook.Host} {ex.Message}");
            }

            if (response.Status is >= 200 and < 300 && !response.FollowedRedirect)
            {
                return new WebhookResult(true, response.Status, null, time.GetElapsedTime(started));
            }

            // Not the failure's Headline: a redirect's Location can carry the token onwards.
            var text = new StringBuilder($"webhook at {webhook.Host} answered {response.Status.ToString(CultureInfo.InvariantCulture)}");
            if (!string.IsNullOrEmpty(response.Reason))
            {
                text.Append(' ').Append(response.Reason);
            }

            if (response.Status is >= 300 and < 400 || response.FollowedRedirect)
            {
                text.Append(" (a redirect: webhooks are not followed; check the URL)");
            }

            var body = HttpProbe.OneLine(response.Body, ErrorBodyChars);
            if (body.Length > 0)
            {
                text.Append(": ").Append(body);
            }

            return Failed(response.Status, text.ToString());
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Failed(null, "webhook not sent: the run was cancelled");
        }
        catch (Exception ex)
        {
            var why = HttpProbe.IsTransient(ex, ct) ? HttpProbe.Describe(ex, timeout) : $"{ex.GetType().Name}: {ex.Message}";
            return Failed(null, $"webhook at {webhook?.Host} failed: {why}");
        }

        WebhookResult Failed(int? status, string error) =>
            new(false, status, Scrub(HttpProbe.OneLine(error, 500), webhook), time.GetElapsedTime(started));
    }

    /// <summary>The JSON posted: <c>text</c> for notifications and old clients, <c>blocks</c> for the message itself.</summary>
    public static JsonObject BuildPayload(Notification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var headline = $"Deploy {n.App}: {n.Result}";
        var fields = new JsonArray
        {
            Field("App", Escape(n.App)),
            Field("Run", $"`{Code(n.RunId)}`"),
            Field("Target", Escape(n.Target)),
            Field("Result", Escape(n.Result)),
            Field("Release before", Version(n.ReleaseBefore)),
            Field("Release after", Version(n.ReleaseAfter)),
        };
        var rolledBack = n.RolledBack.Count == 0
            ? "nothing"
            : string.Join('\n', n.RolledBack.Select(item => "• " + Escape(item)));

        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Cut(headline, 150) },
            },
            new JsonObject { ["type"] = "section", ["fields"] = fields },
            Section(Cut($"*Rolled back*\n{rolledBack}", 3000)),
        };
        if (!string.IsNullOrWhiteSpace(n.Detail))
        {
            blocks.Add(Section(Cut($"*Detail*\n{Escape(n.Detail)}", 3000)));
        }

        if (!string.IsNullOrEmpty(n.ReportPath))
        {
            blocks.Add(new JsonObject
            {
                ["type"] = "context",
                ["elements"] = new JsonArray { Mrkdwn(Cut($"Report: `{Code(n.ReportPath)}`", 2000)) },
            });
        }

        var text = $"{Escape(headline)} (run {Escape(n.RunId)}, target {Escape(n.Target)}, release {Version(n.ReleaseBefore)} → {Version(n.ReleaseAfter)})";
        return new JsonObject { ["text"] = text, ["blocks"] = blocks };

        static JsonObject Field(string name, string mrkdwn) => Mrkdwn(Cut($"*{name}*\n{mrkdwn}", 2000));
        static JsonObject Section(string text) => new() { ["type"] = "section", ["text"] = Mrkdwn(text) };
        static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };
        static string Version(int? version) => version is { } v ? "v" + v.ToString(CultureInfo.InvariantCulture) : "none";
    }

    // Slack's mrkdwn treats these three as markup (links, mentions); everything else is literal.
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Code(string text) => Escape(text.Replace('`', '\''));

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>
    /// The URL, its path and each long path segment or query value replaced: any of them lets
    /// whoever reads it post to the channel, and servers echo tokens back in their errors.
    /// </summary>
    internal static string Scrub(string text, Uri? webhook)
    {
        if (webhook is null)
        {
            return text;
        }

        var secrets = new List<string> { webhook.OriginalString, webhook.AbsoluteUri, webhook.PathAndQuery, webhook.UserInfo };
        secrets.AddRange(webhook.Segments.Select(s => s.Trim('/')));
        secrets.AddRange(webhook.Query.TrimStart('?').Split('&', '=').Select(Uri.UnescapeDataString));
        foreach (var secret in secrets.Where(s => s.Length >= 8 || (s.Length > 1 && s.Contains('/'))).Distinct().OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
            var unescaped = Uri.UnescapeDataString(secret);
            if (unescaped != secret)
            {
                text = text.Replace(unescaped, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }
}
