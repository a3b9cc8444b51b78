namespace DeployBuild.Process;

/// <summary>How to install each program the build runs, for "not found" messages.</summary>
public static class ToolHints
{
    public static string For(string program)
    {
        var name = Path.GetFileNameWithoutExtension(program).ToLowerInvariant();
        return name switch
        {
            "flyctl" or "fly" =>
                "Install flyctl (Linux/macOS: curl -L https://fly.io/install.sh | sh; Windows: pwsh -Command \"iwr https://fly.io/install.ps1 -useb | iex\"), " +
                "or pass --flyctl=<path> or set FLYCTL.",
            "pg_dump" or "pg_restore" or "psql" or "createdb" or "dropdb" =>
                "Install the PostgreSQL client tools matching the server (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq; Windows: the PostgreSQL installer).",
            "python3" or "python" =>
                "Install Python 3 with the backend's dependencies (Debian/Ubuntu: apt-get install python3 python3-fastapi python3-sqlalchemy python3-alembic python3-psycopg2 python3-pytest), " +
                "or set validate.python in deploy.toml.",
            "git" => "Install git (Debian/Ubuntu: apt-get install git).",
            "age" or "age-keygen" => "Install age (Debian/Ubuntu: apt-get install age; macOS: brew install age; Windows: winget install FiloSottile.age), or run ./prerequisites.sh.",
            "npm" or "node" or "npx" => "Install Node.js 20 with npm (https://nodejs.org or apt-get install nodejs npm).",
            "squawk" or "dockerfilelint" => "It is installed by the build with npm (npm ci in the build folder); run ./prerequisites.sh or check that npm works.",
            "docker" => "Install Docker, or deploy without --local-build (Fly builds the image remotely).",
            _ => "Install it or put it on PATH.",
        };
    }
}
