#!/usr/bin/env bash
# What restore verification and output signing cost in the everyday loop (issue 15; docs/performance.md, "Everyday cost"):
#   1. an app with ~38 real packages, plain (no BuildSigning) vs the SDK form, alternating in one run: cold restore from a
#      local folder feed into a fresh package folder, no-op restore, incremental publish with nothing changed, and the
#      edit-build loop (touch Program.cs; dotnet build);
#   2. at scale: a publish of N files of 4 KiB (N = 100, 1,000, 10,000, 20,000), nothing changed, plain vs BuildSigning,
#      and `buildsign verify` of the signed folder vs one `sha256sum -c` process over the same files.
# Usage: tests/BuildSigning.Benchmarks/run-restore-cost.sh
# Environment (optional): BENCH_WORK=DIR (default $TMPDIR/buildsigning-cost; the report is DIR/report.md),
#   BENCH_REPS=N (default 5; the scale section uses max(3, N-2)), BENCH_SIZES="100 1000 10000 20000", BENCH_SKIP=app,scale
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${BENCH_WORK:-${TMPDIR:-/tmp}/buildsigning-cost}"
reps="${BENCH_REPS:-5}"
scale_reps=$(( reps > 5 ? reps - 2 : 3 ))
sizes="${BENCH_SIZES:-100 1000 10000 20000}"
skip=",${BENCH_SKIP:-},"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
log="$work/logs"
mkdir -p "$log"
report="$work/report.md"
: >"$report"
out() { printf '%s\n' "$*" | tee -a "$report"; }
now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
export BUILDSIGNING_HOME="$work/home"

# time_cmd NAME COMMAND...: runs it, appends the wall-clock seconds to $work/times/NAME, fails loudly.
mkdir -p "$work/times"
time_cmd() {
  local name="$1"; shift
  local start end
  start="$(now)"
  if ! "$@" >"$log/$name.last.log" 2>&1; then echo "failed: $name: $*" >&2; tail -n 40 "$log/$name.last.log" >&2; exit 1; fi
  end="$(now)"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }' >>"$work/times/$name"
}
med() { median <"$work/times/$1"; }

# ---- the product, packed from this clone
feed="$work/feed"
mkdir -p "$feed"
for project in src/BuildSigning.Tasks/BuildSigning.Tasks.csproj src/BuildSigning.Cli/BuildSigning.Cli.csproj; do
  dotnet pack "$root/$project" -c Release -o "$feed" --artifacts-path "$work/pack-artifacts" -nologo >"$log/pack.log" 2>&1 \
    || { tail -n 30 "$log/pack.log" >&2; exit 1; }
done
version="$(basename "$(ls "$feed"/BuildSigning.[0-9]*.nupkg)" .nupkg)"
version="${version#BuildSigning.}"
# Only the feed just packed, and a package folder of its own: every build of a clone has the same version, so another
# feed (the clone's own nuget.config adds artifacts/packages) or a shared package folder could serve an older build.
# The app section uses the same configuration (its feed also receives the app's packages).
cat >"$work/feed-only.nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="buildsigning-bench" value="$feed" />
  </packageSources>
</configuration>
EOF
NUGET_PACKAGES="$work/tool-packages" dotnet tool install BuildSigning.Cli --tool-path "$work/tools" --configfile "$work/feed-only.nuget.config" --version "$version" >"$log/tool.log" 2>&1 \
  || { tail -n 30 "$log/tool.log" >&2; exit 1; }

out "# Everyday cost of BuildSigning $version"
out ""
out "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$root" rev-parse --short HEAD), load average at start: $(loadavg)."
out "Medians of $reps runs (scale: $scale_reps), plain and BuildSigning alternating in each repetition."
out ""

# ---- 1. the app
if [[ "$skip" != *,app,* ]]; then
  app="$work/app"
  mkdir -p "$app/warm"
  write_app() { # DIR SDK-LINE
    mkdir -p "$1"
    cat >"$1/App.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
$2
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="9.0.23" />
    <PackageReference Include="Serilog" Version="3.1.1" />
    <PackageReference Include="Serilog.Sinks.Console" Version="5.0.0" />
    <PackageReference Include="Serilog.Sinks.File" Version="5.0.0" />
    <PackageReference Include="Polly" Version="8.5.2" />
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="Dapper" Version="2.1.66" />
    <PackageReference Include="Humanizer.Core" Version="2.14.1" />
    <PackageReference Include="YamlDotNet" Version="16.3.0" />
  </ItemGroup>
</Project>
EOF
    echo 'System.Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { Hello = "world" }));' >"$1/Program.cs"
  }
  write_app "$app/warm" ""
  # Fill a local folder feed with exactly the packages this app restores (and the product's).
  NUGET_PACKAGES="$app/warm-packages" dotnet restore "$app/warm/App.csproj" >"$log/app-warm.log" 2>&1 || { tail -n 30 "$log/app-warm.log" >&2; exit 1; }
  find "$app/warm-packages" -name '*.nupkg' -exec cp {} "$feed/" \;
  cp "$work/feed-only.nuget.config" "$app/nuget.config"
  write_app "$app/plain" ""
  write_app "$app/buildsigning" "  <Sdk Name=\"BuildSigning\" Version=\"$version\" />"
  packages="$(find "$app/warm-packages" -name '*.nupkg' | wc -l)"
  # BuildSigning itself must be in its package folder before the first timed restore (an SDK is resolved before restore).
  NUGET_PACKAGES="$app/packages-buildsigning" dotnet restore "$app/buildsigning/App.csproj" >"$log/app-first.log" 2>&1 || { tail -n 30 "$log/app-first.log" >&2; exit 1; }
  for r in $(seq "$reps"); do
    for v in plain buildsigning; do
      export NUGET_PACKAGES="$app/packages-$v"
      # Cold: a fresh package folder (BuildSigning's own package kept: the SDK resolver needs it before restore starts).
      find "$NUGET_PACKAGES" -mindepth 1 -maxdepth 1 ! -name buildsigning -exec rm -rf {} + 2>/dev/null || true
      rm -rf "$app/$v/obj" "$app/$v/bin"
      time_cmd "cold.$v" dotnet restore "$app/$v/App.csproj"
      time_cmd "noop.$v" dotnet restore "$app/$v/App.csproj"
      dotnet publish "$app/$v/App.csproj" -c Release --no-restore >"$log/publish-first.$v.log" 2>&1 || { tail -n 30 "$log/publish-first.$v.log" >&2; exit 1; }
      time_cmd "publish.$v" dotnet publish "$app/$v/App.csproj" -c Release
      dotnet build "$app/$v/App.csproj" >/dev/null 2>&1
      touch "$app/$v/Program.cs"
      time_cmd "edit.$v" dotnet build "$app/$v/App.csproj"
      unset NUGET_PACKAGES
    done
  done
  # Untimed: where the unchanged publish's time goes.
  NUGET_PACKAGES="$app/packages-buildsigning" dotnet publish "$app/buildsigning/App.csproj" -c Release -clp:PerformanceSummary -v:n >"$log/publish-summary.log" 2>&1 || true
  summary="$(grep -E '^ +[0-9]+ ms +(BuildSigning[A-Za-z]+|VerifyDependencies|SignOutputDirectory|ResolvePackageAssets|Restore) +[0-9]+ calls' "$log/publish-summary.log" | sed -E 's/^ +//' | sort -u | paste -sd ';' - | sed 's/;/; /g')"

  cold_plain="$(med cold.plain)"; cold_bs="$(med cold.buildsigning)"
  per_package="$(awk -v a="$cold_plain" -v b="$cold_bs" -v n="$packages" 'BEGIN { printf "%+.1f", (b - a) * 1000 / n }')"
  out "## The app ($packages packages from a local folder feed)"
  out ""
  out "| | plain | with BuildSigning | ratio | goal |"
  out "| --- | ---: | ---: | ---: | --- |"
  out "| cold restore from a local feed (fresh package folder) | $cold_plain s | $cold_bs s ($per_package ms/package) | $(ratio "$cold_bs" "$cold_plain")x | <= 1.10x, <= 8 ms/package |"
  out "| no-op restore | $(med noop.plain) s | $(med noop.buildsigning) s | $(ratio "$(med noop.buildsigning)" "$(med noop.plain)")x | <= 1.03x |"
  out "| incremental publish, nothing changed | $(med publish.plain) s | $(med publish.buildsigning) s | $(ratio "$(med publish.buildsigning)" "$(med publish.plain)")x | <= 1.05x |"
  out "| edit-build loop (touch Program.cs; dotnet build) | $(med edit.plain) s | $(med edit.buildsigning) s | $(ratio "$(med edit.buildsigning)" "$(med edit.plain)")x | <= 1.03x |"
  out ""
  out "Unchanged publish with BuildSigning, -clp:PerformanceSummary (untimed run): ${summary:-not found}."
  out ""
fi

# ---- 2. at scale
if [[ "$skip" != *,scale,* ]]; then
  # A package folder of its own: every build of this clone packs the same version, and a shared ~/.nuget/packages would
  # keep serving whichever build of it was extracted there first.
  export NUGET_PACKAGES="$work/scale-packages"
  out "## Publish of N files of 4 KiB, nothing changed; buildsign verify vs sha256sum"
  out ""
  out "| files | publish plain | publish BuildSigning | ratio | BuildSigningSignPublishOutput | per file | buildsign verify | sha256sum -c (one process) | ratio | .buildsigning/ |"
  out "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for n in $sizes; do
    s="$work/scale-$n"
    for v in plain buildsigning; do
      mkdir -p "$s/$v/content"
      sdk=""
      [[ "$v" == buildsigning ]] && sdk="  <Sdk Name=\"BuildSigning\" Version=\"$version\" />"
      cat >"$s/$v/Many.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
$sdk
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <EnableDefaultContentItems>false</EnableDefaultContentItems>
  </PropertyGroup>
  <ItemGroup>
    <Content Include="content/**" CopyToPublishDirectory="PreserveNewest" />
  </ItemGroup>
</Project>
EOF
      echo 'System.Console.WriteLine("many");' >"$s/$v/Program.cs"
      awk -v n="$n" -v dir="$s/$v/content" 'BEGIN { srand(7); for (i = 0; i < n; i++) { d = sprintf("%s/d%03d", dir, i % 200); if (i < 200) system("mkdir -p " d); f = sprintf("%s/f%06d.bin", d, i); line = ""; for (j = 0; j < 64; j++) line = line sprintf("%08x", int(rand() * 4294967295)); for (k = 0; k < 8; k++) printf "%s", line > f; close(f) } }'
      cat >"$s/$v/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="buildsigning-bench" value="$feed" />
  </packageSources>
</configuration>
EOF
      dotnet publish "$s/$v/Many.csproj" -c Release -o "$s/$v/publish" >"$log/scale-first.$n.$v.log" 2>&1 || { tail -n 30 "$log/scale-first.$n.$v.log" >&2; exit 1; }
    done
    for r in $(seq "$scale_reps"); do
      for v in plain buildsigning; do
        time_cmd "scale.$n.$v" dotnet publish "$s/$v/Many.csproj" -c Release -o "$s/$v/publish" --no-restore
      done
      time_cmd "verify.$n" "$work/tools/buildsign" verify "$s/buildsigning/publish" --development-key
      time_cmd "sha256sum.$n" bash -c "cd '$s/buildsigning/publish' && sha256sum --quiet -c .buildsigning/files.sha256"
    done
    dotnet publish "$s/buildsigning/Many.csproj" -c Release -o "$s/buildsigning/publish" --no-restore -clp:PerformanceSummary -v:n >"$log/scale-summary.$n.log" 2>&1 || true
    target_ms="$(grep -E '^ +[0-9]+ ms +BuildSigningSignPublishOutput +[0-9]+ calls' "$log/scale-summary.$n.log" | awk '{ print $1 }' | head -n1)"
    per_file="$(awk -v t="${target_ms:-0}" -v n="$n" 'BEGIN { printf "%.0f", t * 1000 / n }')"
    out "| $n | $(med "scale.$n.plain") s | $(med "scale.$n.buildsigning") s | $(ratio "$(med "scale.$n.buildsigning")" "$(med "scale.$n.plain")")x | ${target_ms:-?} ms | $per_file us | $(med "verify.$n") s | $(med "sha256sum.$n") s | $(ratio "$(med "verify.$n")" "$(med "sha256sum.$n")")x | $(du -sk "$s/buildsigning/publish/.buildsigning" | awk '{ printf "%.1f MB", $1 / 1024 }') |"
  done
  unset NUGET_PACKAGES
  out ""
fi
out "Load average at the end: $(loadavg)."
