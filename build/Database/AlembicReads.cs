using System.Collections.Concurrent;
using DeployBuild.Process;

namespace DeployBuild.Database;

/// <summary>
/// What the offline Alembic commands of one run answered (heads, history, the SQL of an upgrade or
/// a downgrade), by their arguments. Each is a Python process that loads Alembic and SQLAlchemy;
/// within one run the migrations on disk do not change (Validate requires a clean tree), so Plan
/// reading the pending revisions after its checks did, or Migrate asking for the heads Validate
/// read, reuse the answer instead of starting Alembic again. A command that failed is not kept.
/// </summary>
public sealed class AlembicReads
{
    private readonly ConcurrentDictionary<string, Lazy<Task<CommandResult>>> _answers = new(StringComparer.Ordinal);

    public async Task<CommandResult> GetOrRunAsync(IReadOnlyList<string> arguments, Func<Task<CommandResult>> run)
    {
        var key = string.Join('\0', arguments);
        var answer = _answers.GetOrAdd(key, _ => new Lazy<Task<CommandResult>>(run));
        try
        {
            return await answer.Value;
        }
        catch
        {
            _answers.TryRemove(new KeyValuePair<string, Lazy<Task<CommandResult>>>(key, answer));
            throw;
        }
    }
}
