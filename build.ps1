#!/usr/bin/env pwsh
# Runs the deploy build: .\build.ps1 --target=Deploy (see .\build.ps1 --help).
#
# Start-up is fast when nothing changed: the compiled build is reused while the stamp of the
# build sources (a SHA-256 over every file under build/ and global.json) matches the one it
# was compiled from; otherwise it is rebuilt first. A stale build is never run. The stamp is
# computed exactly as build.sh computes it, so both scripts share one compiled build.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$cache = Join-Path $root '.build-cache'

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    [Console]::Error.WriteLine("Error: 'dotnet' was not found. Install the .NET SDK named in global.json (https://dot.net), then run .\build.ps1 again.")
    exit 1
}

function Get-SourcesStamp {
    $excluded = @('build/bin/', 'build/obj/')
    $files = [System.Collections.Generic.List[string]]::new()
    foreach ($file in Get-ChildItem -Path (Join-Path $root 'build') -Recurse -File -Force) {
        $relative = [System.IO.Path]::GetRelativePath($root, $file.FullName).Replace('\', '/')
        $skip = ($excluded | Where-Object { $relative.StartsWith($_, [StringComparison]::Ordinal) }) -or $relative.Contains('/node_modules/')
        if (-not $skip) {
            $files.Add($relative)
        }
    }
    foreach ($extra in 'global.json', 'Directory.Build.props', 'Directory.Packages.props', 'NuGet.config', 'nuget.config') {
        if (Test-Path -LiteralPath (Join-Path $root $extra) -PathType Leaf) { $files.Add($extra) }
    }
    $sorted = [string[]]$files.ToArray()
    [Array]::Sort($sorted, [StringComparer]::Ordinal)
    $listing = [System.Text.StringBuilder]::new()
    foreach ($relative in $sorted) {
        $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $root $relative)).Hash.ToLowerInvariant()
        [void]$listing.Append("$hash  $relative`n")
    }
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($listing.ToString())
    return [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
}

# Each version of the sources gets its own folder (named as build.sh names it, so both scripts
# share it), so a run in progress never has its build replaced under it; the newest three are kept.
$stamp = Get-SourcesStamp
$out = Join-Path $cache ('bin-r2r-' + $stamp.Substring(0, 20))
$complete = Join-Path $out '.complete'
if (-not (Test-Path -LiteralPath $complete)) {
    New-Item -ItemType Directory -Force -Path $cache | Out-Null
    # Two runs starting together must not compile at once (they share build/obj).
    $lock = $null
    while ($null -eq $lock) {
        try { $lock = [System.IO.File]::Open((Join-Path $cache 'compile.lock'), 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [System.IO.IOException] { Start-Sleep -Milliseconds 200 }
    }
    try {
        if (-not (Test-Path -LiteralPath $complete)) {
            [Console]::Error.WriteLine('Compiling the build (its sources changed)...')
            $staging = "$out.partial"
            foreach ($folder in $staging, $out) {
                if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
            }
            $log = Join-Path $cache 'compile.log'
            # Compiled ahead of time (ReadyToRun) for this machine's runtime, as build.sh does; where
            # that cannot be done, the plain build is used and the run says so.
            & dotnet publish (Join-Path $root 'build/Build.csproj') -c Release --use-current-runtime --self-contained false `
                -p:PublishReadyToRun=true -o $staging --nologo -v quiet -clp:ErrorsOnly *> $log
            if ($LASTEXITCODE -ne 0) {
                $readyToRunLog = Join-Path $cache 'compile-readytorun.log'
                Move-Item -LiteralPath $log -Destination $readyToRunLog -Force
                if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
                & dotnet build (Join-Path $root 'build/Build.csproj') -c Release -o $staging --nologo -v quiet -clp:ErrorsOnly *> $log
                if ($LASTEXITCODE -ne 0) {
                    Get-Content -LiteralPath $log | ForEach-Object { [Console]::Error.WriteLine($_) }
                    [Console]::Error.WriteLine("Error: the build project does not compile (log: $log).")
                    if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
                    exit 1
                }
                [Console]::Error.WriteLine("Compiled without ReadyToRun (start-up is slower; why: $readyToRunLog).")
            }
            New-Item -ItemType File -Path (Join-Path $staging '.complete') | Out-Null
            Move-Item -LiteralPath $staging -Destination $out
            Get-ChildItem -Path $cache -Directory -Filter 'bin-*' | Where-Object { -not $_.Name.EndsWith('.partial') } |
                Sort-Object LastWriteTime -Descending | Select-Object -Skip 3 |
                ForEach-Object { Remove-Item -LiteralPath $_.FullName -Recurse -Force -ErrorAction SilentlyContinue }
        }
    }
    finally {
        $lock.Dispose()
    }
}

# A run lasts seconds: the runtime's promotion of its busiest methods to optimized code (tiered
# compilation's call counting) costs it more CPU than it saves: the build's own CPU in a Deploy or a
# Plan of the tests' beds went from 4.1 to 2.5 s over four runs without it (process accounting).
# For the build alone: it takes the setting out of what its commands inherit, and this session's
# environment is put back afterwards.
$ownSetting = $null -eq $env:DOTNET_TC_CallCounting
if ($ownSetting) {
    $env:DOTNET_TC_CallCounting = '0'
    $env:DEPLOY_BUILD_RUNTIME_SETTINGS = 'DOTNET_TC_CallCounting'
}
try {
    & dotnet (Join-Path $out 'Build.dll') @args
}
finally {
    if ($ownSetting) {
        Remove-Item Env:DOTNET_TC_CallCounting, Env:DEPLOY_BUILD_RUNTIME_SETTINGS -ErrorAction SilentlyContinue
    }
}
exit $LASTEXITCODE
