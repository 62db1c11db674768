using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace DriverKit.Tests.Runtime;

/// <summary>
/// The public surface of an assembly, by reflection: one line per visible type and member in C# declaration form, plus
/// the XML documentation id of each entry (for the documentation check).
/// </summary>
/// <remarks>
/// Visible means public, or protected/protected internal in an unsealed public type. Compiler-generated members (a
/// record's Equals/Deconstruct/EqualityContract, …) are left out; the type line says <c>record</c> instead.
/// </remarks>
internal static class PublicApiListing
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>One entry of the listing: its line, the documentation id, and whether it is a type or a member.</summary>
    public sealed record Entry(string Line, string DocId, Type DeclaringType, MemberInfo Member)
    {
        /// <summary>True for the line of a type itself.</summary>
        public bool IsType => Member is Type;
    }

    /// <summary>Every visible type in full-name order, each followed by its members in name order.</summary>
    public static IReadOnlyList<Entry> Entries(Assembly assembly)
    {
        var entries = new List<Entry>();
        foreach (var type in assembly.GetTypes().Where(IsVisible).OrderBy(type => type.FullName, StringComparer.Ordinal))
        {
            entries.Add(new Entry(TypeLine(type), "T:" + DocName(type), type, type));
            if (typeof(Delegate).IsAssignableFrom(type))
            {
                continue;
            }

            var members = type.GetMembers(Declared)
                .Where(member => member is not Type && IsVisible(member) && !IsGenerated(member))
                .Select(member => new Entry(MemberLine(type, member), DocId(member), type, member))
                .OrderBy(entry => entry.Member.Name, StringComparer.Ordinal)
                .ThenBy(entry => entry.Line, StringComparer.Ordinal);
            entries.AddRange(members);
        }

        return entries;
    }

    /// <summary>The listing as text: one entry a line, each line ending in <c>\n</c>.</summary>
    public static string Text(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var entry in Entries(assembly))
        {
            text.Append(entry.Line).Append('\n');
        }

        return text.ToString();
    }

    private static bool IsVisible(Type type)
        => type.IsNested ? (type.IsNestedPublic || (type.IsNestedFamily || type.IsNestedFamORAssem) && !type.DeclaringType!.IsSealed) && IsVisible(type.DeclaringType!) : type.IsPublic;

    private static bool IsVisible(MemberInfo member)
    {
        switch (member)
        {
            case MethodBase method:
                if (method.IsSpecialName && method is not ConstructorInfo && !method.Name.StartsWith("op_", StringComparison.Ordinal)
                    || method is ConstructorInfo { IsStatic: true })
                {
                    return false;
                }

                return IsVisible(method.IsPublic, method.IsFamily || method.IsFamilyOrAssembly, method.DeclaringType!);
            case FieldInfo field:
                return !field.IsSpecialName && IsVisible(field.IsPublic, field.IsFamily || field.IsFamilyOrAssembly, field.DeclaringType!);
            case PropertyInfo property:
                return IsAccessorVisible(property.GetMethod) || IsAccessorVisible(property.SetMethod);
            case EventInfo @event:
                return IsAccessorVisible(@event.AddMethod);
            default:
                return false;
        }
    }

    private static bool IsVisible(bool isPublic, bool isProtected, Type declaringType)
        => isPublic || isProtected && !declaringType.IsSealed && !declaringType.IsValueType;

    private static bool IsAccessorVisible(MethodInfo? accessor)
        => accessor is not null && IsVisible(accessor.IsPublic, accessor.IsFamily || accessor.IsFamilyOrAssembly, accessor.DeclaringType!);

    private static bool IsGenerated(MemberInfo member)
        => member.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || member.Name.Contains('<', StringComparison.Ordinal);

    private static string TypeLine(Type type)
    {
        var line = new StringBuilder(type.IsEnum && type.IsDefined(typeof(FlagsAttribute), false) ? "[Flags] " : "").Append(Access(type)).Append(' ');
        if (typeof(Delegate).IsAssignableFrom(type) && type != typeof(Delegate))
        {
            var invoke = type.GetMethod("Invoke")!;
            return line.Append("delegate ").Append(Name(invoke.ReturnParameter)).Append(' ').Append(DisplayName(type))
                .Append('(').Append(Parameters(invoke)).Append(')').ToString();
        }

        var isRecord = type.GetMethod("<Clone>$") is not null || type.IsValueType && type.GetMethod("PrintMembers", Declared) is not null;
        if (type.IsEnum)
        {
            line.Append("enum ");
        }
        else if (type.IsInterface)
        {
            line.Append("interface ");
        }
        else if (type.IsValueType)
        {
            line.Append(type.IsDefined(typeof(IsReadOnlyAttribute), false) ? "readonly " : "").Append(isRecord ? "record struct " : "struct ");
        }
        else
        {
            line.Append(type.IsAbstract && type.IsSealed ? "static " : type.IsAbstract ? "abstract " : type.IsSealed ? "sealed " : "")
                .Append(isRecord ? "record " : "class ");
        }

        line.Append(DisplayName(type));
        var bases = new List<string>();
        if (type.IsEnum)
        {
            var underlying = Enum.GetUnderlyingType(type);
            if (underlying != typeof(int))
            {
                bases.Add(Name(underlying));
            }
        }
        else
        {
            if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType))
            {
                bases.Add(Name(baseType));
            }

            var inherited = type.BaseType?.GetInterfaces() ?? [];
            bases.AddRange(type.GetInterfaces().Where(i => !inherited.Contains(i) && (i.IsPublic || i.IsNestedPublic))
                .Where(i => !(isRecord && i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>)))
                .Select(i => Name(i)).Order(StringComparer.Ordinal));
        }

        if (bases.Count > 0)
        {
            line.Append(" : ").AppendJoin(", ", bases);
        }

        return line.ToString();
    }

    private static string MemberLine(Type type, MemberInfo member)
    {
        var qualified = DisplayName(type) + "." + member.Name;
        switch (member)
        {
            case FieldInfo field when type.IsEnum:
                return DisplayName(type) + "." + field.Name + " = " + EnumValue(type, field.GetRawConstantValue()!);
            case FieldInfo field:
                var fieldNullability = new NullabilityInfoContext().Create(field);
                var prefix = Access(field.IsPublic) + (field.IsLiteral ? " const " : (field.IsStatic ? " static " : " ") + (field.IsInitOnly ? "readonly " : ""));
                var value = field.IsLiteral ? " = " + Literal(field.GetRawConstantValue(), field.FieldType) : "";
                return prefix + Name(field.FieldType, fieldNullability, field) + " " + qualified + value;
            case PropertyInfo property:
                var accessors = new StringBuilder();
                var get = property.GetMethod;
                var set = property.SetMethod;
                if (IsAccessorVisible(get))
                {
                    accessors.Append(get!.IsPublic ? "get; " : "protected get; ");
                }

                if (IsAccessorVisible(set))
                {
                    var init = set!.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));
                    accessors.Append(set.IsPublic ? "" : "protected ").Append(init ? "init; " : "set; ");
                }

                var accessor = (IsAccessorVisible(get) ? get : set)!;
                var indexer = property.GetIndexParameters();
                var name = indexer.Length > 0 ? DisplayName(type) + ".this[" + Parameters(indexer) + "]" : qualified;
                return Access(accessor.IsPublic) + Modifiers(accessor) + Name(property.PropertyType, new NullabilityInfoContext().Create(property), property)
                    + " " + name + " { " + accessors + "}";
            case EventInfo @event:
                return Access(@event.AddMethod!.IsPublic) + Modifiers(@event.AddMethod) + "event "
                    + Name(@event.EventHandlerType!, new NullabilityInfoContext().Create(@event), @event) + " " + qualified;
            case ConstructorInfo constructor:
                return Access(constructor.IsPublic) + " " + DisplayName(type) + "." + SimpleName(type) + "(" + Parameters(constructor) + ")";
            case MethodInfo method:
                var generic = method.IsGenericMethodDefinition ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : "";
                var methodName = method.Name switch
                {
                    "op_Implicit" => "implicit operator",
                    "op_Explicit" => "explicit operator",
                    _ when method.IsSpecialName && Operators.TryGetValue(method.Name, out var symbol) => "operator " + symbol,
                    _ => method.Name,
                };
                return Access(method.IsPublic) + Modifiers(method) + Name(method.ReturnParameter) + " " + DisplayName(type) + "." + methodName + generic
                    + "(" + Parameters(method) + ")";
            default:
                throw new InvalidOperationException($"Unexpected member {member}.");
        }
    }

    private static readonly Dictionary<string, string> Operators = new(StringComparer.Ordinal)
    {
        ["op_Equality"] = "==", ["op_Inequality"] = "!=", ["op_LessThan"] = "<", ["op_GreaterThan"] = ">",
        ["op_LessThanOrEqual"] = "<=", ["op_GreaterThanOrEqual"] = ">=", ["op_Addition"] = "+", ["op_Subtraction"] = "-",
        ["op_Multiply"] = "*", ["op_Division"] = "/", ["op_Modulus"] = "%", ["op_BitwiseAnd"] = "&", ["op_BitwiseOr"] = "|",
        ["op_ExclusiveOr"] = "^", ["op_OnesComplement"] = "~", ["op_LogicalNot"] = "!", ["op_UnaryNegation"] = "-",
        ["op_UnaryPlus"] = "+", ["op_Increment"] = "++", ["op_Decrement"] = "--", ["op_LeftShift"] = "<<", ["op_RightShift"] = ">>",
        ["op_UnsignedRightShift"] = ">>>", ["op_True"] = "true", ["op_False"] = "false",
    };

    private static string Access(Type type) => type.IsPublic || type.IsNestedPublic ? "public" : "protected";

    private static string Access(bool isPublic) => isPublic ? "public" : "protected";

    private static string Modifiers(MethodInfo method)
    {
        if (method.IsStatic)
        {
            return " static ";
        }

        if (method.DeclaringType!.IsInterface)
        {
            return " ";
        }

        if (method.IsAbstract)
        {
            return " abstract ";
        }

        if (method.IsVirtual && !method.IsFinal)
        {
            return method.GetBaseDefinition() != method ? " override " : " virtual ";
        }

        return method.IsVirtual && method.GetBaseDefinition() != method ? " sealed override " : " ";
    }

    private static string Parameters(MethodBase method) => Parameters(method.GetParameters());

    private static string Parameters(ParameterInfo[] parameters)
        => string.Join(", ", parameters.Select(parameter =>
        {
            var text = new StringBuilder();
            foreach (var attribute in parameter.CustomAttributes.Where(a => CallerInfo.Contains(a.AttributeType)))
            {
                text.Append('[').Append(attribute.AttributeType.Name[..^"Attribute".Length])
                    .Append(attribute.ConstructorArguments.Count == 0 ? "" : "(" + string.Join(", ", attribute.ConstructorArguments.Select(a => Literal(a.Value, a.ArgumentType))) + ")")
                    .Append("] ");
            }

            if (parameter.IsDefined(typeof(ParamArrayAttribute), false))
            {
                text.Append("params ");
            }

            text.Append(Name(parameter)).Append(' ').Append(parameter.Name);
            if (parameter.HasDefaultValue)
            {
                text.Append(" = ").Append(Literal(parameter.RawDefaultValue, parameter.ParameterType));
            }

            return text.ToString();
        }));

    private static readonly Type[] CallerInfo =
    [
        typeof(CallerMemberNameAttribute), typeof(CallerFilePathAttribute), typeof(CallerLineNumberAttribute), typeof(CallerArgumentExpressionAttribute),
    ];

    private static string Name(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        var prefix = "";
        if (type.IsByRef)
        {
            prefix = parameter.IsOut ? "out " : parameter.IsIn ? "in " : "ref ";
            type = type.GetElementType()!;
        }

        return prefix + Name(type, new NullabilityInfoContext().Create(parameter), new TupleNames(parameter));
    }

    private static string Name(Type type, NullabilityInfo nullability, MemberInfo member) => Name(type, nullability, new TupleNames(member));

    /// <summary>A type as C# spells it (tuple element names and nullable annotations included), namespaces left off for DriverKit.Runtime and System.</summary>
    private static string Name(Type type, NullabilityInfo? nullability = null, TupleNames? tuples = null)
    {
        tuples ??= new TupleNames(null);
        var nullable = nullability?.ReadState == NullabilityState.Nullable && !type.IsValueType ? "?" : "";
        if (type.IsArray)
        {
            return Name(type.GetElementType()!, nullability?.ElementType, tuples) + "[" + new string(',', type.GetArrayRank() - 1) + "]" + nullable;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying, nullability?.GenericTypeArguments.FirstOrDefault(), tuples) + "?";
        }

        if (Keywords.TryGetValue(type, out var keyword))
        {
            return keyword + nullable;
        }

        if (type.IsGenericParameter)
        {
            return type.Name + nullable;
        }

        var arguments = type.IsGenericType ? type.GetGenericArguments() : [];
        var offset = type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0;
        var argumentNullability = nullability?.GenericTypeArguments ?? [];
        string Argument(int index) => Name(arguments[index], index < argumentNullability.Length ? argumentNullability[index] : null, tuples);
        if (type.IsGenericType && type.Namespace == "System" && type.Name.StartsWith("ValueTuple`", StringComparison.Ordinal))
        {
            // Tuple names are stored in pre-order: this tuple's names before those of tuples nested in its elements.
            var names = arguments.Select(_ => tuples.Next()).ToList();
            return "(" + string.Join(", ", arguments.Select((_, index) => Argument(index) + (names[index] is { } name ? " " + name : ""))) + ")";
        }

        var text = (type.IsNested ? Name(type.DeclaringType!) + "." : Qualifier(type)) + SimpleName(type);
        if (arguments.Length > offset)
        {
            text += "<" + string.Join(", ", Enumerable.Range(offset, arguments.Length - offset).Select(Argument)) + ">";
        }

        return text + nullable;
    }

    /// <summary>The tuple element names of one declaration ([TupleElementNames]), handed out in order.</summary>
    private sealed class TupleNames(ICustomAttributeProvider? declaration)
    {
        private readonly IList<string?> names = declaration?.GetCustomAttributes(typeof(TupleElementNamesAttribute), false)
            .OfType<TupleElementNamesAttribute>().FirstOrDefault()?.TransformNames ?? [];

        private int next;

        public string? Next() => next < names.Count ? names[next++] : null;
    }

    private static string Qualifier(Type type)
        => type.Namespace is null or "DriverKit.Runtime" or "System" ? "" : type.Namespace + ".";

    private static string SimpleName(Type type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    /// <summary>The full name of a declared type, generic parameters spelled out.</summary>
    private static string DisplayName(Type type)
    {
        var name = (type.IsNested ? DisplayName(type.DeclaringType!) : type.Namespace) + "." + SimpleName(type);
        if (!type.IsGenericTypeDefinition)
        {
            return name;
        }

        var own = type.GetGenericArguments().Skip(type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0).ToArray();
        return own.Length == 0 ? name : name + "<" + string.Join(", ", own.Select(argument => argument.Name)) + ">";
    }

    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(void)] = "void", [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(short)] = "short",
        [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long", [typeof(ulong)] = "ulong",
        [typeof(nint)] = "nint", [typeof(nuint)] = "nuint", [typeof(float)] = "float", [typeof(double)] = "double",
        [typeof(decimal)] = "decimal", [typeof(char)] = "char", [typeof(string)] = "string", [typeof(object)] = "object",
    };

    private static string Literal(object? value, Type type)
    {
        if (value is null)
        {
            return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? "default" : "null";
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum)
        {
            return EnumLiteral(target, value);
        }

        return value switch
        {
            string text => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
            bool flag => flag ? "true" : "false",
            char character => "'" + character + "'",
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>An enum value as its member names (<c>Gfp.Kernel | Gfp.Zero</c>), or a cast when no names cover it.</summary>
    private static string EnumLiteral(Type type, object value)
    {
        var bits = Convert.ToUInt64(value, CultureInfo.InvariantCulture);
        var named = Enum.GetValues(type).Cast<object>()
            .Select(member => (Name: Enum.GetName(type, member)!, Bits: Convert.ToUInt64(member, CultureInfo.InvariantCulture)))
            .ToList();
        if (named.FirstOrDefault(member => member.Bits == bits) is { Name: not null } exact)
        {
            return SimpleName(type) + "." + exact.Name;
        }

        if (type.IsDefined(typeof(FlagsAttribute), false))
        {
            var parts = named.Where(member => member.Bits != 0 && (bits & member.Bits) == member.Bits).ToList();
            var covered = parts.Aggregate(0UL, (all, member) => all | member.Bits);
            if (covered == bits)
            {
                return string.Join(" | ", parts.Select(member => SimpleName(type) + "." + member.Name));
            }
        }

        return "(" + SimpleName(type) + ")" + EnumValue(type, value);
    }

    private static string EnumValue(Type type, object value)
    {
        if (type.IsDefined(typeof(FlagsAttribute), false))
        {
            return "0x" + Convert.ToUInt64(value, CultureInfo.InvariantCulture).ToString("X", CultureInfo.InvariantCulture);
        }

        return Convert.ToString(value, CultureInfo.InvariantCulture)!;
    }

    // XML documentation ids (ECMA-334 annex D.4.3).

    private static string DocId(MemberInfo member) => member switch
    {
        FieldInfo field => "F:" + DocName(field.DeclaringType!) + "." + field.Name,
        PropertyInfo property => "P:" + DocName(property.DeclaringType!) + "." + property.Name + DocParameters(property.GetIndexParameters()),
        EventInfo @event => "E:" + DocName(@event.DeclaringType!) + "." + @event.Name,
        ConstructorInfo constructor => "M:" + DocName(constructor.DeclaringType!) + "." + (constructor.IsStatic ? "#cctor" : "#ctor") + DocParameters(constructor.GetParameters()),
        MethodInfo method => "M:" + DocName(method.DeclaringType!) + "." + method.Name
            + (method.IsGenericMethodDefinition ? "``" + method.GetGenericArguments().Length : "")
            + DocParameters(method.GetParameters())
            + (method.Name is "op_Implicit" or "op_Explicit" ? "~" + DocType(method.ReturnType) : ""),
        _ => throw new InvalidOperationException($"Unexpected member {member}."),
    };

    private static string DocName(Type type)
        => type.IsNested ? DocName(type.DeclaringType!) + "." + type.Name : type.FullName!;

    private static string DocParameters(ParameterInfo[] parameters)
        => parameters.Length == 0 ? "" : "(" + string.Join(",", parameters.Select(parameter => DocType(parameter.ParameterType))) + ")";

    private static string DocType(Type type)
    {
        if (type.IsByRef)
        {
            return DocType(type.GetElementType()!) + "@";
        }

        if (type.IsPointer)
        {
            return DocType(type.GetElementType()!) + "*";
        }

        if (type.IsArray)
        {
            return DocType(type.GetElementType()!) + (type.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", type.GetArrayRank())) + "]");
        }

        if (type.IsGenericParameter)
        {
            return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition;
        }

        var outer = type.IsNested ? DocType(type.DeclaringType!) + "." : type.Namespace + ".";
        if (!type.IsGenericType)
        {
            return outer + type.Name;
        }

        var arguments = type.GetGenericArguments();
        var own = arguments.Skip(type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0).ToArray();
        if (type.IsNested && own.Length < arguments.Length)
        {
            // The outer type's arguments belong in the outer type's braces.
            outer = DocType(type.DeclaringType!.MakeGenericType(arguments[..^own.Length])) + ".";
        }

        return outer + SimpleName(type) + (own.Length == 0 ? "" : "{" + string.Join(",", own.Select(DocType)) + "}");
    }
}
