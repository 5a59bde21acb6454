#!/usr/bin/env bash
# The main job, end to end on a fresh clone:
#   1. pack BuildSigning (the MSBuild package and the buildsign tool) into artifacts/packages,
#   2. publish samples/HelloSigned, which references the package: its output is signed with the
#      per-user development key (created on first use),
#   3. verify every published file with the buildsign tool installed from the packed tool package.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/artifacts/quickstart"
feed="$root/artifacts/packages"
rm -rf "$work"
mkdir -p "$work" "$feed"

echo "==> Packing BuildSigning into $feed"
dotnet pack "$root/BuildSigning.sln" -c Release -o "$feed" -v quiet -nologo
version="$(dotnet msbuild "$root/src/BuildSigning.Tasks/BuildSigning.Tasks.csproj" -getProperty:PackageVersion)"

# A packages folder of its own, so the sample always restores the package that was just built.
export NUGET_PACKAGES="$work/nuget-packages"

echo "==> Installing the buildsign tool $version"
dotnet tool install BuildSigning.Cli --version "$version" --tool-path "$work/tools" --add-source "$feed" >/dev/null

echo "==> Publishing samples/HelloSigned (signed with the development key)"
# The quickstart signs with the development key on purpose, also on a CI agent (where a real key is otherwise required).
dotnet publish "$root/samples/HelloSigned/HelloSigned.csproj" -c Release -o "$work/publish" -p:BuildSigningVersion="$version" \
  -p:BuildSigningRequireSigningKey=false -nologo

echo "==> Verifying every published file"
"$work/tools/buildsign" verify "$work/publish" --development-key
echo
echo "Signed output: $work/publish/.buildsigning/ (inspect it with: $work/tools/buildsign inspect $work/publish)"
