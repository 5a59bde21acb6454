#!/usr/bin/env bash
# What a PKCS#11 token key costs (docs/performance.md, section 5): `dotnet publish` of an app with 2,000 published files,
# signed with an ECDSA P-256 key in a SoftHSM2 token vs the same kind of key in a PEM file. BuildSigning signs once per
# statement (the file manifest, the SBOMs, the provenance), never per file, so the token should add a few milliseconds.
# Usage: tests/BuildSigning.Benchmarks/pkcs11-cost.sh
# Environment (optional): BENCH_WORK=DIR (default $TMPDIR/buildsigning-pkcs11-bench), BENCH_REPS=N (default 5),
#   BENCH_FILES=N (default 2000).
# Needs: the .NET SDK 10, openssl, softhsm2 (softhsm2-util), opensc (pkcs11-tool), the package feed the machine's
# nuget.config names. Times are wall-clock seconds of whole `dotnet publish` processes (medians, order alternating).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${BENCH_WORK:-${TMPDIR:-/tmp}/buildsigning-pkcs11-bench}"
reps="${BENCH_REPS:-5}"
files="${BENCH_FILES:-2000}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

say() { printf '==> %s\n' "$*" >&2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

module=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
  [[ -f "$candidate" ]] && { module="$candidate"; break; }
done
[[ -n "$module" ]] || { echo "error: libsofthsm2.so not found (apt-get install softhsm2 opensc)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/feed" "$work/logs"
work="$(cd "$work" && pwd)"
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do
  printf '<Project>\n  <!-- Stops MSBuild looking further up. -->\n</Project>\n' >"$work/$f"
done

say "Packing BuildSigning from $root"
dotnet pack "$root/src/BuildSigning.Tasks" -c Release -o "$work/feed" --artifacts-path "$work/artifacts" -nologo -v q >"$work/logs/pack.log" 2>&1 \
  || { tail -n 30 "$work/logs/pack.log" >&2; exit 1; }
package="$(cd "$work/feed" && ls BuildSigning.[0-9]*.nupkg | head -n1)"
version="${package#BuildSigning.}"
version="${version%.nupkg}"

mapfile -t sources < <(cd "$work" && dotnet nuget list source --format short | awk '$1 == "E" && $2 ~ /^https?:/ { print $2 }')
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<configuration><packageSources><clear />'
  echo "  <add key=\"feed\" value=\"$work/feed\" />"
  for i in "${!sources[@]}"; do echo "  <add key=\"source$i\" value=\"${sources[$i]}\" />"; done
  echo '</packageSources></configuration>'
} >"$work/nuget.config"
export NUGET_PACKAGES="$work/nuget-packages" BUILDSIGNING_HOME="$work/home"

say "Token: SoftHSM2 with an ECDSA P-256 key generated inside it; file key: ECDSA P-256 PEM"
export SOFTHSM2_CONF="$work/softhsm2.conf" BENCH_TOKEN_PIN="bench-pin-1234"
mkdir -p "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --pin "$BENCH_TOKEN_PIN" --so-pin bench-so >/dev/null
pkcs11-tool --module "$module" --token-label bench --login --pin "$BENCH_TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --label release --id 01 >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/release.pem" 2>/dev/null
chmod 600 "$work/release.pem"
token_uri="pkcs11:token=bench%3Bobject=release?module-path=$module"

say "App with $files published data files"
app="$work/app"
mkdir -p "$app/data"
cat >"$app/App.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="BuildSigning" Version="$version" PrivateAssets="all" />
    <None Include="data/**" CopyToPublishDirectory="PreserveNewest" />
  </ItemGroup>
</Project>
EOF
echo 'System.Console.WriteLine("hello");' >"$app/Program.cs"
for ((i = 0; i < files - 2; i++)); do
  head -c $(((i % 16 + 1) * 1024)) /dev/urandom >"$app/data/f$i.bin"
done

publish() { # publish KIND
  local key=("-p:BuildSigningKey=$work/release.pem")
  [[ "$1" == token ]] && key=("-p:BuildSigningKey=$token_uri" "-p:BuildSigningKeyPasswordVariable=BENCH_TOKEN_PIN")
  rm -rf "$app/bin" "$app/obj" "$app/out"
  dotnet publish "$app/App.csproj" -c Release -o "$app/out" -nologo "${key[@]}" -p:BuildSigningRequireSigningKey=true
}
publish file >"$work/logs/warmup.log" 2>&1 || { tail -n 30 "$work/logs/warmup.log" >&2; exit 1; }
published="$(find "$app/out" -type f -not -path '*/.buildsigning/*' | wc -l)"

declare -A runs
for ((r = 1; r <= reps; r++)); do
  if ((r % 2)); then order=(file token); else order=(token file); fi
  for kind in "${order[@]}"; do
    t0="$(now)"
    publish "$kind" >"$work/logs/$kind.$r.log" 2>&1 || { tail -n 30 "$work/logs/$kind.$r.log" >&2; exit 1; }
    t1="$(now)"
    runs[$kind]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') "
  done
  say "round $r: file ${runs[file]}| token ${runs[token]}"
done
grep -q "error" "$work/logs/token.1.log" && { echo "error: the token publish logged an error" >&2; exit 1; }

file_median="$(printf '%s\n' ${runs[file]} | median)"
token_median="$(printf '%s\n' ${runs[token]} | median)"
echo
echo "| key | median (s) | runs (s) |"
echo "| --- | ---: | --- |"
echo "| file (PEM, ECDSA P-256) | $file_median | ${runs[file]}|"
echo "| SoftHSM2 token (ECDSA P-256) | $token_median | ${runs[token]}|"
echo
echo "published files: $published; token / file = $(awk -v a="$token_median" -v b="$file_median" 'BEGIN { printf "%.3f", a / b }')"
