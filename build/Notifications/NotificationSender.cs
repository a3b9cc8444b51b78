using Cake.Core.Diagnostics;
using DeployBuild.Health;
using DeployBuild.Settings;

namespace DeployBuild.Notifications;

/// <summary>"Notifier équipe": a Slack-compatible message on the events deploy.toml names, when a webhook is set.</summary>
public static class NotificationSender
{
    /// <param name="events">What happened, most specific first; one message goes out if deploy.toml listens for any of them.</param>
    public static async Task SendAsync(NotificationSettings settings, IReadOnlyList<string> events, Notification notification, Func<string, string?> environment, ICakeLog log)
    {
        var @event = events.FirstOrDefault(e => settings.On.Contains(e, StringComparer.OrdinalIgnoreCase));
        if (@event is null || environment(settings.WebhookEnv) is not { Length: > 0 } url)
        {
            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var webhook) || webhook.Scheme is not ("https" or "http"))
        {
            log.Warning("${0} is not an http(s) URL: no notification sent.", settings.WebhookEnv);
            return;
        }

        using var http = HealthHttp.CreateClient();
        var result = await WebhookNotifier.SendAsync(http, webhook, notification, CancellationToken.None);
        if (result.Sent)
        {
            log.Information("Notified the team ({0}).", @event);
        }
        else
        {
            log.Warning("The notification could not be sent: {0}", result.Error ?? "unknown error");
        }
    }
}
