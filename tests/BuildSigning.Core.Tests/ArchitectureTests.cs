using System.Reflection;
using System.Reflection.Emit;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Tests;

public sealed class DiagnosticLocationTests
{
    [Fact]
    public void PolicyErrors_CarryTheirLocation_AndTheTextWithoutIt()
    {
        var diagnostic = Errors.TrustPolicyInvalidValue("/repo/buildsigning.trust.json", 7, 13, "'expires' is not a date").Diagnostic;
        Assert.Equal(new SourceLocation("/repo/buildsigning.trust.json", 7, 13), diagnostic.Location);
        Assert.StartsWith("/repo/buildsigning.trust.json(7,13): ", diagnostic.Text);
        Assert.StartsWith("'expires' is not a date.", diagnostic.TextWithoutLocation);
        Assert.Equal("docs/errors.md#bs4005", diagnostic.HelpLink);
    }

    [Fact]
    public void OtherErrors_HaveNoLocation() =>
        Assert.Null(Errors.KeyFileNotFound("/keys/missing.pem").Diagnostic.Location);
}

/// <summary>
/// Core's folders (namespaces BuildSigning.Core.X) form layers: no folder may depend on one that depends on it. The
/// dependencies are read from the compiled assembly (signatures and every type, method and field a method body uses),
/// so nothing a using directive or a fully qualified name hides is missed.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    [Fact]
    public void CoreFolders_HaveNoDependencyCycles()
    {
        var graph = DependencyGraph(typeof(Errors).Assembly);
        AddConstantUses(graph, typeof(Errors).Assembly);
        var cycles = new List<string>();
        foreach (var (from, edges) in graph)
        {
            foreach (var (to, example) in edges)
            {
                if (string.CompareOrdinal(from, to) < 0 && Reaches(graph, to, from))
                {
                    cycles.Add($"{from} -> {to} ({example}) and {to} -> ... -> {from}{(graph[to].TryGetValue(from, out var back) ? $" ({back})" : "")}");
                }
            }
        }
        Assert.True(cycles.Count == 0, "Core folders that depend on each other:\n" + string.Join("\n", cycles));
    }

    /// <summary>
    /// Constants are copied into the code that uses them, so the assembly does not show those uses: read them from the
    /// source, as "TypeName.Member" where TypeName is a Core type of another folder.
    /// </summary>
    private static void AddConstantUses(Dictionary<string, Dictionary<string, string>> graph, Assembly assembly)
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "BuildSigning.sln"))) directory = Path.GetDirectoryName(directory);
        Assert.NotNull(directory);
        string core = Path.Combine(directory!, "src", "BuildSigning.Core");
        var typesByName = assembly.GetTypes().Where(t => !t.IsNested && Folder(t) is not null && !t.Name.Contains('<'))
            .GroupBy(t => t.Name).Where(g => g.Select(Folder).Distinct().Count() == 1).ToDictionary(g => g.Key, g => Folder(g.First())!);
        foreach (string file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(core, file);
            string from = relative.Split(Path.DirectorySeparatorChar)[0];
            if (from is "bin" or "obj" || !relative.Contains(Path.DirectorySeparatorChar)) continue;
            string code = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(file), @"//[^\n]*|""(?:\\.|[^""\\])*""", "");
            foreach (System.Text.RegularExpressions.Match use in System.Text.RegularExpressions.Regex.Matches(code, @"(?<![\w.])([A-Z]\w*)\.[A-Z]"))
            {
                if (typesByName.TryGetValue(use.Groups[1].Value, out string? to) && to != from)
                {
                    var edges = graph.TryGetValue(from, out var e) ? e : graph[from] = [];
                    edges.TryAdd(to, $"{relative} uses {use.Groups[1].Value}");
                }
            }
        }
    }

    private static bool Reaches(Dictionary<string, Dictionary<string, string>> graph, string start, string target)
    {
        var seen = new HashSet<string> { start };
        var stack = new Stack<string>([start]);
        while (stack.Count > 0)
        {
            foreach (string next in graph.GetValueOrDefault(stack.Pop())?.Keys ?? Enumerable.Empty<string>())
            {
                if (next == target) return true;
                if (seen.Add(next)) stack.Push(next);
            }
        }
        return false;
    }

    private static string? Folder(Type? type)
    {
        while (type is { IsNested: true }) type = type.DeclaringType;
        if (type?.Namespace is not { } ns || !ns.StartsWith("BuildSigning.Core.", StringComparison.Ordinal)) return null;
        return ns["BuildSigning.Core.".Length..].Split('.')[0];
    }

    private static Dictionary<string, Dictionary<string, string>> DependencyGraph(Assembly assembly)
    {
        var graph = new Dictionary<string, Dictionary<string, string>>();
        foreach (var type in assembly.GetTypes())
        {
            if (Folder(type) is not { } from) continue;
            var edges = graph.TryGetValue(from, out var e) ? e : graph[from] = [];
            void Use(Type? used, string where)
            {
                if (used is null) return;
                if (used.HasElementType) { Use(used.GetElementType(), where); return; }
                if (used.IsGenericType && !used.IsGenericTypeDefinition) foreach (var argument in used.GetGenericArguments()) Use(argument, where);
                if (Folder(used) is { } to && to != from) edges.TryAdd(to, $"{type.FullName} uses {used.FullName} in {where}");
            }
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            Use(type.BaseType, "base type");
            foreach (var i in type.GetInterfaces()) Use(i, "interfaces");
            foreach (var field in type.GetFields(all)) Use(field.FieldType, field.Name);
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (method is MethodInfo info) Use(info.ReturnType, method.Name);
                foreach (var parameter in method.GetParameters()) Use(parameter.ParameterType, method.Name);
                foreach (var used in TypesUsedBy(method)) Use(used, method.Name);
            }
        }
        return graph;
    }

    /// <summary>The declaring types of every method, field and type token in the method's IL.</summary>
    private static IEnumerable<Type> TypesUsedBy(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method is MethodInfo { IsGenericMethod: true } ? method.GetGenericArguments() : null;
        int position = 0;
        while (position < il.Length)
        {
            short value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += il[position] == 0xFE ? 2 : 1;
            var opCode = OpCodesByValue[value];
            int operandSize = opCode.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, position),
                _ => 4,
            };
            if (opCode.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                Type? used = null;
                try
                {
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, position), typeArguments, methodArguments);
                    used = member as Type ?? member?.DeclaringType;
                }
                catch (ArgumentException)
                {
                    // A token in a generic context reflection cannot resolve here: it names no Core folder of interest.
                }
                if (used is not null) yield return used;
            }
            position += operandSize;
        }
    }
}
