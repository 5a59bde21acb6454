#!/usr/bin/env bash
# Measures BuildSigning against its anchors (docs/performance.md, GUIDE §4) in one run, on this machine:
#   1. hashing a generated tree (1 GiB, 2,000 files of mixed sizes): FileDigester vs sha256sum vs openssl dgst,
#      and the physical limit (openssl speed -evp sha256, one core, times the cores);
#   2. publish overhead: samples/HelloSigned with EnableBuildSigning=false vs true, cold and incremental;
#   3. restore verification: ~100 real packages, plain restore vs NuGet's signatureValidationMode=require vs
#      BuildSigning's dependency verification (Core entry point; the MSBuild target when the package has it);
#   4. SBOM generation for a graph of 200 packages (and the in-process BenchmarkDotNet suites).
# Usage: tests/BuildSigning.Benchmarks/run-benchmarks.sh
# Environment (all optional):
#   BENCH_WORK=DIR          scratch folder (default: $TMPDIR/buildsigning-bench); the report is DIR/report.md
#   BENCH_REPS=N            repetitions of each whole-process measurement for publish and restore (default 5)
#   BENCH_HASH_REPS=N       repetitions of each hashing measurement (default 5)
#   BENCH_TREE_BYTES=N      size of the hashing tree (default 1073741824), BENCH_TREE_FILES=N its file count (default 2000)
#   BENCH_SKIP=LIST         skip sections, comma-separated: hash,publish,restore,bdn
# Needs: the .NET SDK 10, openssl, sha256sum, xargs, and the package feed the machine's nuget.config names.
# Times are wall-clock seconds of whole processes (medians); each table's ratios come from this one run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${BENCH_WORK:-${TMPDIR:-/tmp}/buildsigning-bench}"
reps="${BENCH_REPS:-5}"
hash_reps="${BENCH_HASH_REPS:-5}"
tree_bytes="${BENCH_TREE_BYTES:-1073741824}"
tree_files="${BENCH_TREE_FILES:-2000}"
skip=",${BENCH_SKIP:-},"
cores="$(nproc)"
started="$(date +%s)"

# Quiet, isolated dotnet: no MSBuild nodes left behind, no telemetry banner; every dotnet call below gets these.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

mkdir -p "$work"
work="$(cd "$work" && pwd)"
# NuGet's HTTP cache of its own: the restore section fills it once, so its timed cold restores never wait on the network.
export NUGET_HTTP_CACHE_PATH="$work/http-cache"
log="$work/logs"
rm -rf "$log"
mkdir -p "$log"
report="$work/report.md"
: >"$report"

say() { printf '==> %s\n' "$*" >&2; }
out() { printf '%s\n' "$*" >>"$report"; }
skipped() { [[ "$skip" == *",$1,"* ]]; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# The projects generated below must not pick up any Directory.Build.* or central package management from above $work.
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do
  printf '<Project>\n  <!-- Stops MSBuild looking further up: these benchmark projects stand alone. -->\n</Project>\n' >"$work/$f"
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

declare -A MED RUNS

# measure KEY PREP-FUNCTION COMMAND...: runs PREP (untimed) then COMMAND, $REPS times; records the median wall time.
measure() {
  local key="$1" prep="$2"
  shift 2
  local times=() i t0 t1
  for ((i = 1; i <= REPS; i++)); do
    "$prep"
    t0="$(now)"
    if ! "$@" >"$log/$key.$i.log" 2>&1; then
      echo "error: '$key' failed: $*" >&2
      tail -n 30 "$log/$key.$i.log" >&2
      exit 1
    fi
    t1="$(now)"
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
  done
  MED[$key]="$(printf '%s\n' "${times[@]}" | median)"
  RUNS[$key]="${times[*]}"
  say "$key: median ${MED[$key]} s (runs: ${RUNS[$key]})"
}
noprep() { :; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
gbps() { awk -v bytes="$1" -v s="$2" 'BEGIN { if (s + 0 == 0) print "n/a"; else printf "%.2f", bytes / s / 1e9 }'; }

# ---------------------------------------------------------------------------------------------------------------
say "Machine"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
sha_ni="$(grep -q -m1 -w sha_ni /proc/cpuinfo && echo yes || echo no)"
mem="$(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
os="$(. /etc/os-release && echo "$PRETTY_NAME") ($(uname -r))"
sdk="$(cd "$work" && dotnet --version)"
ossl="$(openssl version)"
out "## Machine"
out ""
out "| | |"
out "| --- | --- |"
out "| cores (nproc) | $cores |"
out "| CPU | $cpu (SHA extensions: $sha_ni) |"
out "| memory | $mem |"
out "| OS | $os |"
out "| .NET SDK | $sdk |"
out "| OpenSSL | $ossl |"
out "| load average at start (1/5/15 min) | $load_before |"
out "| repetitions | hashing $hash_reps, publish and restore $reps (medians) |"
out "| NUGET_CERT_REVOCATION_MODE | ${NUGET_CERT_REVOCATION_MODE:-(unset: online)} |"
out ""

# ---------------------------------------------------------------------------------------------------------------
say "Building the benchmark program and packing BuildSigning from $root"
artifacts="$work/artifacts"
feed="$work/feed"
rm -rf "$feed"
mkdir -p "$feed"
dotnet build "$root/tests/BuildSigning.Benchmarks/BuildSigning.Benchmarks.csproj" -c Release --artifacts-path "$artifacts" -nologo -v q >"$log/build.log" 2>&1 \
  || { tail -n 30 "$log/build.log" >&2; exit 1; }
bench=(dotnet "$artifacts/bin/BuildSigning.Benchmarks/release/BuildSigning.Benchmarks.dll")
for project in src/BuildSigning.Tasks src/BuildSigning.Cli; do
  dotnet pack "$root/$project" -c Release -o "$feed" --artifacts-path "$artifacts" -nologo -v q >"$log/pack.log" 2>&1 \
    || { tail -n 30 "$log/pack.log" >&2; exit 1; }
done
package="$(cd "$feed" && ls BuildSigning.[0-9]*.nupkg | head -n1)"
version="${package#BuildSigning.}"
version="${version%.nupkg}"
say "BuildSigning $version packed into $feed"

# The machine's package sources (http/https, enabled), read from the user's NuGet configuration.
mapfile -t sources < <(cd "$work" && dotnet nuget list source --format short | awk '$1 == "E" && $2 ~ /^https?:/ { print $2 }')
((${#sources[@]})) || { echo "error: 'dotnet nuget list source' names no enabled http(s) package source" >&2; exit 1; }
source_lines=""
for i in "${!sources[@]}"; do source_lines+="    <add key=\"source$i\" value=\"${sources[$i]}\" />"$'\n'; done

# write_nuget_config FILE [extra XML]: the machine's sources plus the packed feed, nothing inherited.
write_nuget_config() {
  cat >"$1" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="buildsigning-bench" value="$feed" />
${source_lines}  </packageSources>
${2:-}</configuration>
EOF
}

# ---------------------------------------------------------------------------------------------------------------
if ! skipped hash; then
  tree="$work/tree"
  stamp="$work/tree.stamp"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$tree_bytes $tree_files" ]]; then
    say "Generating the hashing tree ($tree_bytes bytes, $tree_files files)"
    rm -f "$stamp"
    "${bench[@]}" gen-tree "$tree" --bytes "$tree_bytes" --files "$tree_files" >"$log/gen-tree.log"
    echo "$tree_bytes $tree_files" >"$stamp"
  fi
  find "$tree" -type f -print0 | sort -z >"$work/tree.list"
  files="$(tr -cd '\0' <"$work/tree.list" | wc -c)"
  bytes="$(find "$tree" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')"
  # Every tool reads from the page cache: load it once, untimed.
  xargs -0 cat <"$work/tree.list" >/dev/null

  say "Checking that all tools compute the same digests"
  "${bench[@]}" hash "$tree" --manifest "$work/ours.sha256" >/dev/null
  xargs -0 sha256sum <"$work/tree.list" | sort -k2 >"$work/sha256sum.sha256"
  sort -k2 "$work/ours.sha256" | cmp -s - "$work/sha256sum.sha256" || { echo "error: FileDigester and sha256sum disagree" >&2; exit 1; }
  xargs -0 openssl dgst -sha256 -r <"$work/tree.list" | sed 's/ \*/  /' | sort -k2 | cmp -s - "$work/sha256sum.sha256" \
    || { echo "error: openssl dgst and sha256sum disagree" >&2; exit 1; }

  chunk=$(((files + cores * 8 - 1) / (cores * 8)))
  load_hash="$(loadavg)"
  REPS="$hash_reps"
  say "Hashing: $files files, $bytes bytes, $cores cores"
  measure hash.ours.all noprep "${bench[@]}" hash "$tree"
  measure hash.ours.one noprep "${bench[@]}" hash "$tree" --parallel 1
  measure hash.sha256sum.parallel noprep sh -c 'xargs -0 -P "$1" -n "$2" sha256sum <"$3" >/dev/null' sh "$cores" "$chunk" "$work/tree.list"
  measure hash.sha256sum.one noprep sh -c 'xargs -0 sha256sum <"$1" >/dev/null' sh "$work/tree.list"
  measure hash.openssl.parallel noprep sh -c 'xargs -0 -P "$1" -n "$2" openssl dgst -sha256 <"$3" >/dev/null' sh "$cores" "$chunk" "$work/tree.list"
  measure hash.openssl.one noprep sh -c 'xargs -0 openssl dgst -sha256 <"$1" >/dev/null' sh "$work/tree.list"
  speed="$(openssl speed -evp sha256 -bytes 16384 -seconds 3 -mr 2>/dev/null | awk -F: '/^\+F:/ { print $4 }' | tail -n1)"
  limit_all="$(awk -v s="$speed" -v c="$cores" 'BEGIN { printf "%.0f", s * c }')"
  limit_s="$(awk -v b="$bytes" -v l="$limit_all" 'BEGIN { printf "%.3f", b / l }')"
  limit_one_s="$(awk -v b="$bytes" -v l="$speed" 'BEGIN { printf "%.3f", b / l }')"

  out "## 1. Hashing a tree of $files files, $bytes bytes (page cache warm)"
  out ""
  out "Whole processes, wall clock, median of $hash_reps. Parallel peers: \`xargs -0 -P $cores -n $chunk\`. Ours: \`BuildSigning.Benchmarks hash\` (FileDigester.DigestFiles, process start included)."
  out "Load average when the section started: $load_hash."
  out "Limit: \`openssl speed -evp sha256 -bytes 16384\` = $(gbps "$speed" 1) GB/s per core × $cores cores."
  out ""
  out "| what | seconds | GB/s | this ÷ BuildSigning, time (>1: BuildSigning faster) | share of the limit |"
  out "| --- | ---: | ---: | ---: | ---: |"
  # row LABEL SECONDS OURS-SECONDS LIMIT-SECONDS
  row() { out "| $1 | $2 | $(gbps "$bytes" "$2") | $(ratio "$2" "$3") | $(ratio "$4" "$2") |"; }
  all="${MED[hash.ours.all]}" one="${MED[hash.ours.one]}"
  row "limit: openssl speed × $cores (compute only)" "$limit_s" "$all" "$limit_s"
  row "**BuildSigning FileDigester, $cores threads**" "$all" "$all" "$limit_s"
  row "openssl dgst -sha256, $cores processes" "${MED[hash.openssl.parallel]}" "$all" "$limit_s"
  row "sha256sum, $cores processes" "${MED[hash.sha256sum.parallel]}" "$all" "$limit_s"
  row "limit: openssl speed, one core" "$limit_one_s" "$one" "$limit_one_s"
  row "**BuildSigning FileDigester, 1 thread**" "$one" "$one" "$limit_one_s"
  row "openssl dgst -sha256, one process" "${MED[hash.openssl.one]}" "$one" "$limit_one_s"
  row "sha256sum, one process" "${MED[hash.sha256sum.one]}" "$one" "$limit_one_s"
  out ""
  out "Runs (seconds): ours all ${RUNS[hash.ours.all]}; ours one ${RUNS[hash.ours.one]}; openssl parallel ${RUNS[hash.openssl.parallel]}; openssl one ${RUNS[hash.openssl.one]}; sha256sum parallel ${RUNS[hash.sha256sum.parallel]}; sha256sum one ${RUNS[hash.sha256sum.one]}."
  out ""
fi

# ---------------------------------------------------------------------------------------------------------------
if ! skipped publish; then
  say "Publish: samples/HelloSigned with BuildSigning $version off and on"
  pub="$work/publish"
  rm -rf "$pub"
  mkdir -p "$pub"
  cp -r "$root/samples/HelloSigned" "$pub/HelloSigned"
  rm -rf "$pub/HelloSigned/bin" "$pub/HelloSigned/obj"
  write_nuget_config "$pub/nuget.config"
  export NUGET_PACKAGES="$work/nuget-packages"
  rm -rf "$NUGET_PACKAGES/buildsigning" "$NUGET_PACKAGES/buildsigning.cli"
  publish() {
    dotnet publish "$pub/HelloSigned/HelloSigned.csproj" -c Release -o "$pub/out-$1" -nologo \
      -p:BuildSigningVersion="$version" -p:EnableBuildSigning="$2"
  }
  # Uses $enabled of the loop below: the other setting's publish folder stays for the report.
  clean_publish() { rm -rf "$pub/HelloSigned/bin" "$pub/HelloSigned/obj" "$pub/out-$enabled"; }
  # Warm-up (untimed): packages into the package folder, the development key, the compiler server.
  enabled=warm
  clean_publish
  publish warm true >"$log/publish-warmup.log" 2>&1 || { tail -n 30 "$log/publish-warmup.log" >&2; exit 1; }
  REPS=1
  load_publish="$(loadavg)"
  for ((r = 1; r <= reps; r++)); do
    # Alternate the order so that drift in the machine's load does not favour one side.
    if ((r % 2)); then order=(false true); else order=(true false); fi
    for enabled in "${order[@]}"; do
      measure "publish.cold.$enabled.$r" clean_publish publish "$enabled" "$enabled"
      measure "publish.incremental.$enabled.$r" noprep publish "$enabled" "$enabled"
    done
  done
  for phase in cold incremental; do
    for enabled in false true; do
      values=()
      for ((r = 1; r <= reps; r++)); do values+=("${MED[publish.$phase.$enabled.$r]}"); done
      MED[publish.$phase.$enabled]="$(printf '%s\n' "${values[@]}" | median)"
      RUNS[publish.$phase.$enabled]="${values[*]}"
    done
  done
  signed="$(ls "$pub/out-true/.buildsigning" 2>/dev/null | tr '\n' ' ')"
  published="$(find "$pub/out-true" -type f -not -path '*/.buildsigning/*' | wc -l)"

  out "## 2. Publish overhead: samples/HelloSigned, BuildSigning $version"
  out ""
  out "\`dotnet publish -c Release -p:EnableBuildSigning=false|true\`, median of $reps. Cold: no obj/ bin/ or publish folder (packages already in the package folder); incremental: the same command again, nothing changed."
  out "Load average when the section started: $load_publish."
  out "With BuildSigning on, the publish folder ($published files) gets: $signed"
  out ""
  out "| | off (s) | on (s) | on ÷ off | added (s) |"
  out "| --- | ---: | ---: | ---: | ---: |"
  for phase in cold incremental; do
    off="${MED[publish.$phase.false]}" on="${MED[publish.$phase.true]}"
    out "| $phase | $off | $on | $(ratio "$on" "$off") | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%+.2f", a - b }') |"
  done
  out ""
  out "Runs (seconds): cold off ${RUNS[publish.cold.false]}; cold on ${RUNS[publish.cold.true]}; incremental off ${RUNS[publish.incremental.false]}; incremental on ${RUNS[publish.incremental.true]}."
  out ""
  unset NUGET_PACKAGES
fi

# ---------------------------------------------------------------------------------------------------------------
restore_assets=""
if ! skipped restore; then
  say "Restore: ~100 real packages"
  rs="$work/restore"
  rm -rf "$rs"
  mkdir -p "$rs"
  # 33 direct references, 100 packages in project.assets.json (every version here is one the package feed serves).
  references='
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="9.0.23" />
    <PackageReference Include="Microsoft.Extensions.Http" Version="9.0.23" />
    <PackageReference Include="Microsoft.Extensions.Caching.Memory" Version="10.0.11" />
    <PackageReference Include="Microsoft.Extensions.Diagnostics.HealthChecks" Version="10.0.11" />
    <PackageReference Include="Microsoft.EntityFrameworkCore.Sqlite" Version="10.0.11" />
    <PackageReference Include="Microsoft.IdentityModel.JsonWebTokens" Version="8.16.0" />
    <PackageReference Include="Microsoft.CodeAnalysis.CSharp" Version="4.3.1" />
    <PackageReference Include="Azure.Core" Version="1.47.1" />
    <PackageReference Include="Azure.Identity" Version="1.14.2" />
    <PackageReference Include="Npgsql" Version="10.0.0" />
    <PackageReference Include="Dapper" Version="2.1.66" />
    <PackageReference Include="Serilog" Version="3.1.1" />
    <PackageReference Include="Serilog.Sinks.Console" Version="5.0.0" />
    <PackageReference Include="Serilog.Sinks.File" Version="5.0.0" />
    <PackageReference Include="OpenTelemetry" Version="1.9.0" />
    <PackageReference Include="Polly" Version="8.5.2" />
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="Google.Protobuf" Version="3.25.1" />
    <PackageReference Include="AutoMapper" Version="15.1.4" />
    <PackageReference Include="FluentValidation" Version="11.11.0" />
    <PackageReference Include="NodaTime" Version="3.3.4" />
    <PackageReference Include="YamlDotNet" Version="16.3.0" />
    <PackageReference Include="CsvHelper" Version="33.0.1" />
    <PackageReference Include="Humanizer.Core" Version="2.14.1" />
    <PackageReference Include="Markdig" Version="0.31.0" />
    <PackageReference Include="Spectre.Console" Version="0.49.1" />
    <PackageReference Include="System.CommandLine" Version="2.0.0" />
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
    <PackageReference Include="xunit" Version="2.9.3" />
    <PackageReference Include="NUnit" Version="4.1.0" />
    <PackageReference Include="NUnit3TestAdapter" Version="4.5.0" />
    <PackageReference Include="Moq" Version="4.20.70" />
    <PackageReference Include="FluentAssertions" Version="6.12.0" />
    <PackageReference Include="coverlet.collector" Version="6.0.0" />'
  # write_restore_project VARIANT SDK-LINE NUGET-CONFIG-EXTRA
  write_restore_project() {
    mkdir -p "$rs/$1"
    cat >"$rs/$1/Restore100.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
$2
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <OutputType>Exe</OutputType>
    <NoWarn>\$(NoWarn);NU1603</NoWarn>
  </PropertyGroup>
  <ItemGroup>$references
  </ItemGroup>
</Project>
EOF
    write_nuget_config "$rs/$1/nuget.config" "$3"
  }
  certificates=""
  for fingerprint in $(grep -o 'CertificateFingerprint(HashAlgorithmName.SHA256, "[0-9A-F]\{64\}")' "$root/src/BuildSigning.Core/Trust/TrustPolicy.cs" | grep -o '[0-9A-F]\{64\}'); do
    certificates+="      <certificate fingerprint=\"$fingerprint\" hashAlgorithm=\"SHA256\" allowUntrustedRoot=\"false\" />"$'\n'
  done
  require_config="  <config>
    <add key=\"signatureValidationMode\" value=\"require\" />
  </config>
  <trustedSigners>
    <repository name=\"nuget.org\" serviceIndex=\"${sources[0]}\">
${certificates}    </repository>
  </trustedSigners>
"
  write_restore_project plain "" ""
  write_restore_project nosig "" ""
  write_restore_project require "" "$require_config"

  # BuildSigning's restore-time verification through MSBuild: the SDK form, when the packed targets have the target.
  msbuild_hook=false
  if unzip -p "$feed/$package" build/BuildSigning.targets | grep -q 'Name="BuildSigningVerifyDependencies"'; then
    msbuild_hook=true
    write_restore_project buildsigning "  <Sdk Name=\"BuildSigning\" Version=\"$version\" />" ""
  fi

  # One restore fills the isolated HTTP cache: the timed cold restores extract from it and do not wait on the network.
  say "Warming the HTTP cache"
  (export NUGET_PACKAGES="$rs/packages-warmup"; dotnet restore "$rs/plain/Restore100.csproj" -nologo >"$log/restore-warmup.log" 2>&1) \
    || { tail -n 30 "$log/restore-warmup.log" >&2; exit 1; }
  packages="$(grep -c '"type": "package"' <(sed -n '/"libraries"/,/"projectFileDependencyGroups"/p' "$rs/plain/obj/project.assets.json") || true)"
  rm -rf "$rs/packages-warmup"

  VARIANT=""
  load_restore="$(loadavg)"
  cold_prep() { rm -rf "$rs/$VARIANT/obj" "$rs/packages-$VARIANT" "$rs/verify.cache"; }
  restore_cmd() { NUGET_PACKAGES="$rs/packages-$VARIANT" dotnet restore "$rs/$VARIANT/Restore100.csproj" -nologo; }
  restore_nosig() { DOTNET_NUGET_SIGNATURE_VERIFICATION=false NUGET_PACKAGES="$rs/packages-$VARIANT" dotnet restore "$rs/$VARIANT/Restore100.csproj" -nologo; }
  variants=(nosig plain require)
  $msbuild_hook && variants+=(buildsigning)
  REPS=1
  for ((r = 1; r <= reps; r++)); do
    for VARIANT in "${variants[@]}"; do
      cmd=restore_cmd
      [[ "$VARIANT" == nosig ]] && cmd=restore_nosig
      measure "restore.cold.$VARIANT.$r" cold_prep "$cmd"
      measure "restore.warm.$VARIANT.$r" noprep "$cmd"
      if [[ "$VARIANT" == plain ]]; then
        # BuildSigning's verification of the same restore through its Core entry point (the built-in policy), as its
        # own process: cold = no verdict cache (the first restore), warm = the cache from the run before.
        assets="$rs/plain/obj/project.assets.json"
        measure "verify.cold.$r" noprep "${bench[@]}" verify-deps "$assets" --cache "$rs/verify.cache"
        measure "verify.warm.$r" noprep "${bench[@]}" verify-deps "$assets" --cache "$rs/verify.cache"
      fi
    done
  done
  for key in restore.cold.nosig restore.warm.nosig restore.cold.plain restore.warm.plain restore.cold.require restore.warm.require \
    restore.cold.buildsigning restore.warm.buildsigning verify.cold verify.warm; do
    values=()
    for ((r = 1; r <= reps; r++)); do
      if [[ -n "${MED[$key.$r]:-}" ]]; then values+=("${MED[$key.$r]}"); fi
    done
    if ((${#values[@]} == 0)); then continue; fi
    MED[$key]="$(printf '%s\n' "${values[@]}" | median)"
    RUNS[$key]="${values[*]}"
  done
  target_note=""
  if $msbuild_hook; then
    # One more cold restore, untimed, with the performance summary: how much of it was the verification target itself.
    VARIANT=buildsigning
    cold_prep
    NUGET_PACKAGES="$rs/packages-$VARIANT" dotnet restore "$rs/$VARIANT/Restore100.csproj" -nologo -v:n -clp:PerformanceSummary >"$log/restore-summary.log" 2>&1 || true
    target_ms="$(grep -E '^ +[0-9]+ ms +BuildSigningVerifyDependencies +1 calls' "$log/restore-summary.log" | awk '{ print $1 }' | head -n1)"
    restore_ms="$(grep -E '^ +[0-9]+ ms +RestoreTask +1 calls' "$log/restore-summary.log" | awk '{ print $1 }' | head -n1)"
    verified="$(grep -o 'BuildSigning: verified .*' "$log/restore-summary.log" | head -n1)"
    target_note="In one more cold restore of the SDK form (untimed, \`-clp:PerformanceSummary\`): target BuildSigningVerifyDependencies ${target_ms:-?} ms, NuGet's RestoreTask ${restore_ms:-?} ms; the task said: \"${verified:-nothing}\"."
  fi
  inner_cold="$(grep -h -o 'seconds=[0-9.]*' "$log"/verify.cold.*.log | cut -d= -f2 | median)"
  inner_warm="$(grep -h -o 'seconds=[0-9.]*' "$log"/verify.warm.*.log | cut -d= -f2 | median)"
  verify_line="$(grep -h '^result' "$log/verify.cold.1.1.log" 2>/dev/null || grep -h '^result' "$log"/verify.cold.1*.log | head -n1)"
  restore_assets="$rs/plain/obj/project.assets.json"
  combined_cold="$(awk -v a="${MED[restore.cold.plain]}" -v b="${MED[verify.cold]}" 'BEGIN { printf "%.3f", a + b }')"
  combined_warm="$(awk -v a="${MED[restore.warm.plain]}" -v b="${MED[verify.warm]}" 'BEGIN { printf "%.3f", a + b }')"

  out "## 3. Restore verification: $packages packages (net10.0 console project, 33 direct references)"
  out ""
  out "\`dotnet restore\`, median of $reps. Cold: empty package folder and obj/ (packages extracted from a warm, isolated HTTP cache, so no network wait); warm: the same restore again (NuGet's no-op)."
  out "NuGet verifies signatures only when it extracts a package, so its warm restores check nothing. Load average when the section started: $load_restore."
  out ""
  out "| restore | cold (s) | warm (s) | cold ÷ plain cold | warm ÷ plain warm |"
  out "| --- | ---: | ---: | ---: | ---: |"
  rrow() { out "| $1 | $2 | $3 | $(ratio "$2" "${MED[restore.cold.plain]}") | $(ratio "$3" "${MED[restore.warm.plain]}") |"; }
  rrow "NuGet, signature verification off (DOTNET_NUGET_SIGNATURE_VERIFICATION=false)" "${MED[restore.cold.nosig]}" "${MED[restore.warm.nosig]}"
  rrow "plain: NuGet defaults (accept mode; Linux verifies signatures at extraction)" "${MED[restore.cold.plain]}" "${MED[restore.warm.plain]}"
  rrow "NuGet signatureValidationMode=require + trustedSigners (nuget.org repository certificates)" "${MED[restore.cold.require]}" "${MED[restore.warm.require]}"
  rrow "plain + BuildSigning DependencyVerifier (Core, separate process, built-in policy)" "$combined_cold" "$combined_warm"
  if $msbuild_hook; then
    rrow "BuildSigning target BuildSigningVerifyDependencies (SDK form, after Restore)" "${MED[restore.cold.buildsigning]}" "${MED[restore.warm.buildsigning]}"
  else
    out "| BuildSigning target BuildSigningVerifyDependencies | not measured: the packed build/BuildSigning.targets has no such target yet | | | |"
  fi
  out ""
  out "BuildSigning's verification on its own (DependencyVerifier.Verify, TrustPolicy.Default): process $(printf '%s' "${MED[verify.cold]}") s cold (no verdict cache; $(awk -v s="$inner_cold" -v n="$packages" 'BEGIN { printf "%.1f", s * 1000 / n }') ms per package inside the process, $inner_cold s), ${MED[verify.warm]} s warm (verdict cache; $inner_warm s inside). Result: ${verify_line#result }."
  out ""
  if [[ -n "$target_note" ]]; then out "$target_note"; out ""; fi
  out "Runs (seconds): nosig cold ${RUNS[restore.cold.nosig]}, warm ${RUNS[restore.warm.nosig]}; plain cold ${RUNS[restore.cold.plain]}, warm ${RUNS[restore.warm.plain]}; require cold ${RUNS[restore.cold.require]}, warm ${RUNS[restore.warm.require]}; verify cold ${RUNS[verify.cold]}, warm ${RUNS[verify.warm]}$($msbuild_hook && printf '; buildsigning cold %s, warm %s' "${RUNS[restore.cold.buildsigning]}" "${RUNS[restore.warm.buildsigning]}")."
  out ""
fi

# ---------------------------------------------------------------------------------------------------------------
say "SBOM generation: a synthetic restore of 200 packages"
"${bench[@]}" gen-assets "$work/sbom" --packages 200 >"$log/gen-assets.log"
sbom_line="$("${bench[@]}" sbom "$work/sbom/obj/project.assets.json" --repeat 20 | grep '^result')"
out "## 4. SBOM generation: 200 packages"
out ""
out "One process, SbomDocuments.Generate (reads project.assets.json, every .nuspec and .nupkg.sha512; writes SPDX 2.3 and CycloneDX 1.6) 20 times: ${sbom_line#result } (seconds; 'first' includes JIT, as in a build)."
out ""

if ! skipped bdn; then
  say "In-process BenchmarkDotNet suites"
  bdn="$work/bdn"
  rm -rf "$bdn"
  load_bdn="$(loadavg)"
  (
    [[ -n "${tree:-}" ]] && export BUILDSIGNING_BENCH_TREE="$tree"
    [[ -n "$restore_assets" ]] && export BUILDSIGNING_BENCH_ASSETS="$restore_assets"
    cd "$work" && "${bench[@]}" bdn --filter '*' --artifacts "$bdn"
  ) >"$log/bdn.log" 2>&1 || { tail -n 40 "$log/bdn.log" >&2; exit 1; }
  out "## BenchmarkDotNet (in process)"
  out ""
  out "Hashing corpus: ${tree:-a generated 256 MiB tree}; verification: ${restore_assets:-a synthetic restore of 100 unsigned packages}. Load average when the section started: $load_bdn."
  out ""
  for table in "$bdn"/results/*-report-github.md; do
    name="$(basename "$table" -report-github.md)"
    out "### ${name##*.}"
    out ""
    sed -n '/^|/p' "$table" | sed "s/&#39;//g" >>"$report"
    out ""
  done
fi

finished="$(date +%s)"
load_after="$(loadavg)"
out "Total run time: $((finished - started)) s; load average at the end: $load_after."
say "Report: $report"
cat "$report"
