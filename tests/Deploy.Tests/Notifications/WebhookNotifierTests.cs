using DeployBuild.Tests.Support;
using System.Text.Json;
using DeployBuild.Health;
using DeployBuild.Notifications;
using DeployBuild.Tests.Health;

namespace DeployBuild.Tests.Notifications;

[Collection(TimingSensitive.Name)]
public sealed class WebhookNotifierTests : LoopbackServerTests
{
    private const string HookPath = "/services/T0A1B2C3D/B9Z8Y7X6W/q4Lw9sEcReTtOkEn42xYz";
    private const string Token = "q4Lw9sEcReTtOkEn42xYz";

    private static readonly Notification Failed = new(
        App: "nutriprofile-api",
        RunId: "20250301-120000-ab12",
        Target: "Deploy",
        Result: "failed at Verify, rolled back",
        ReleaseBefore: 41,
        ReleaseAfter: 42,
        RolledBack: ["schema to 0003", "release to v41 (registry.fly.io/nutriprofile-api:deployment-01)"],
        ReportPath: ".deploy/runs/20250301-120000-ab12/report.md")
    {
        Detail = "/health: 500 <Internal Server Error> & more",
    };

    private Uri Hook => new(Server.BaseUrl, HookPath);

    [Fact]
    public async Task Posts_a_slack_message_with_the_run_the_releases_and_what_was_rolled_back()
    {
        Server.On(HookPath, Reply.Ok("ok"));

        var result = await WebhookNotifier.SendAsync(Http, Hook, Failed, CancellationToken.None).WaitAsync(Guard);

        Assert.True(result.Sent, result.Error);
        Assert.Equal(200, result.StatusCode);
        Assert.Null(result.Error);

        var request = Assert.Single(Server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Contains("nutriprofile-api", root.GetProperty("text").GetString());
        Assert.Contains("v41 → v42", root.GetProperty("text").GetString());

        var blocks = root.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.Equal("plain_text", blocks[0].GetProperty("text").GetProperty("type").GetString());
        Assert.Equal("Deploy nutriprofile-api: failed at Verify, rolled back", blocks[0].GetProperty("text").GetProperty("text").GetString());

        var fields = blocks[1].GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("text").GetString()).ToList();
        Assert.Equal(
            [
                "*App*\nnutriprofile-api",
                "*Run*\n`20250301-120000-ab12`",
                "*Target*\nDeploy",
                "*Result*\nfailed at Verify, rolled back",
                "*Release before*\nv41",
                "*Release after*\nv42",
            ],
            fields);

        var texts = blocks.Skip(2)
            .Select(b => b.TryGetProperty("text", out var t) ? t.GetProperty("text").GetString() : b.GetProperty("elements")[0].GetProperty("text").GetString())
            .ToList();
        Assert.Contains("*Rolled back*\n• schema to 0003\n• release to v41 (registry.fly.io/nutriprofile-api:deployment-01)", texts);
        Assert.Contains("*Detail*\n/health: 500 &lt;Internal Server Error&gt; &amp; more", texts);
        Assert.Equal("context", blocks[^1].GetProperty("type").GetString());
        Assert.Equal("Report: `.deploy/runs/20250301-120000-ab12/report.md`", texts[^1]);
    }

    [Fact]
    public void Nothing_rolled_back_and_no_releases_are_said_plainly()
    {
        var payload = WebhookNotifier.BuildPayload(new Notification("app", "run", "Deploy", "succeeded", null, 1, [], null));

        var json = payload.ToJsonString();
        Assert.Contains("*Rolled back*\\nnothing", json);
        Assert.Contains("*Release before*\\nnone", json);
        Assert.DoesNotContain("context", json);
        Assert.DoesNotContain("Detail", json);
    }

    [Fact]
    public async Task A_failing_webhook_returns_its_status_without_throwing_and_without_the_url()
    {
        // Servers echo the token back in errors: it must be masked too.
        Server.On(HookPath, Reply.WithStatus(500, $"invalid_token {Token} for {HookPath}"));

        var result = await WebhookNotifier.SendAsync(Http, Hook, Failed, CancellationToken.None).WaitAsync(Guard);

        Assert.False(result.Sent);
        Assert.Equal(500, result.StatusCode);
        Assert.NotNull(result.Error);
        Assert.StartsWith("webhook at 127.0.0.1 answered 500 Internal Server Error: invalid_token ***", result.Error);
        AssertNoSecret(result);
    }

    [Fact]
    public async Task A_refused_webhook_returns_the_reason_without_throwing_and_without_the_url()
    {
        var hook = new Uri(TestHttpServer.Unused(), HookPath);

        var result = await WebhookNotifier.SendAsync(Http, hook, Failed, CancellationToken.None).WaitAsync(Guard);

        Assert.False(result.Sent);
        Assert.Null(result.StatusCode);
        Assert.Equal("webhook at 127.0.0.1 failed: connection refused", result.Error);
        AssertNoSecret(result);
    }

    [Fact]
    public async Task A_hanging_webhook_gives_up_after_its_timeout()
    {
        Server.On(HookPath, Reply.Hanging());

        var result = await WebhookNotifier.SendAsync(Http, Hook, Failed, TimeSpan.FromMilliseconds(500), TimeProvider.System, CancellationToken.None).WaitAsync(Guard);

        Assert.False(result.Sent);
        Assert.Equal("webhook at 127.0.0.1 timed out after 500 ms", result.Error);
        Assert.Equal(10, WebhookNotifier.Timeout.TotalSeconds);
    }

    [Fact]
    public async Task A_redirecting_webhook_is_not_followed_and_its_location_is_not_repeated()
    {
        Server.On(HookPath, Reply.Redirect($"https://elsewhere.example{HookPath}"));

        var result = await WebhookNotifier.SendAsync(Http, Hook, Failed, CancellationToken.None).WaitAsync(Guard);

        Assert.False(result.Sent);
        Assert.Equal(302, result.StatusCode);
        Assert.Contains("redirect", result.Error);
        Assert.DoesNotContain("elsewhere", result.Error);
        AssertNoSecret(result);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task A_broken_client_still_does_not_throw()
    {
        var disposed = HealthHttp.CreateClient();
        disposed.Dispose();

        var result = await WebhookNotifier.SendAsync(disposed, Hook, Failed, CancellationToken.None).WaitAsync(Guard);

        Assert.False(result.Sent);
        Assert.StartsWith("webhook at 127.0.0.1 failed: ObjectDisposedException", result.Error);
        AssertNoSecret(result);
    }

    [Fact]
    public void Scrub_masks_the_url_its_path_and_its_token_in_any_form()
    {
        var hook = new Uri("https://hooks.slack.com/services/T0A1B2C3D/B9Z8Y7X6W/q4Lw9sEcReTtOkEn42xYz?sig=abcdef123456");

        var text = WebhookNotifier.Scrub(
            $"{hook} | {hook.AbsoluteUri} | {hook.PathAndQuery} | token q4Lw9sEcReTtOkEn42xYz | sig abcdef123456 | host hooks.slack.com", hook);

        Assert.DoesNotContain("q4Lw9sEcReTtOkEn42xYz", text);
        Assert.DoesNotContain("abcdef123456", text);
        Assert.DoesNotContain("/services/", text);
        Assert.EndsWith("host hooks.slack.com", text);
    }

    private void AssertNoSecret(WebhookResult result)
    {
        var text = result.ToString();
        Assert.DoesNotContain(Token, text);
        Assert.DoesNotContain(HookPath, text);
        Assert.DoesNotContain(Hook.AbsoluteUri, text);
        Assert.DoesNotContain("B9Z8Y7X6W", text);
    }
}
