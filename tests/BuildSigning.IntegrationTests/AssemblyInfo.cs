// Every test here drives the packed product through real dotnet runs (DocumentationTests only read files, and are cheap):
// `dotnet test --filter Category!=Integration` runs the fast unit tests alone.
[assembly: AssemblyTrait("Category", "Integration")]
