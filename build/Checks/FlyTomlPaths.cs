namespace DeployBuild.Checks;

/// <summary>Matches a health check's path against the routes the backend serves.</summary>
internal static class FlyTomlPaths
{
    /// <summary>
    /// True when <paramref name="path"/> (query string ignored) is one of <paramref name="served"/>, where a served
    /// path may hold FastAPI parameters: <c>{food_id}</c> stands for one segment, <c>{rest:path}</c> for the rest.
    /// </summary>
    public static bool IsServed(string path, IEnumerable<string> served)
    {
        var bare = StripQuery(path);
        return served.Any(route => Matches(bare, StripQuery(route)));
    }

    public static string StripQuery(string path)
    {
        var cut = path.IndexOfAny(['?', '#']);
        return cut < 0 ? path : path[..cut];
    }

    private static bool Matches(string path, string route)
    {
        if (string.Equals(path, route, StringComparison.Ordinal))
        {
            return true;
        }

        var pathParts = path.Split('/');
        var routeParts = route.Split('/');
        for (var i = 0; i < routeParts.Length; i++)
        {
            var part = routeParts[i];
            var isParameter = part.Length > 2 && part[0] == '{' && part[^1] == '}';
            if (isParameter && part.EndsWith(":path}", StringComparison.Ordinal))
            {
                // Starlette's path convertor takes everything that is left, slashes included.
                return pathParts.Length > i && string.Join('/', pathParts[i..]).Length > 0;
            }

            if (i >= pathParts.Length)
            {
                return false;
            }

            if (isParameter ? pathParts[i].Length == 0 : !string.Equals(part, pathParts[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return pathParts.Length == routeParts.Length;
    }
}
