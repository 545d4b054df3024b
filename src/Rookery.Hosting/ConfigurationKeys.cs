using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Rookery.Hosting;

/// <summary>
/// Finds configuration keys that no option binds, with their full path (<c>Listeners:Client:Prot</c>) and where they
/// came from; the binder's own unknown-key error names only the leaf and the CLR type.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>The first key under <paramref name="configuration"/> that <paramref name="type"/> has no property for, or null.</summary>
    public static string? FindUnknown(IConfiguration configuration, Type type)
    {
        foreach (var child in configuration.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetIndexParameters().Length > 0)
            {
                return child.Path;
            }

            if (FindUnknownInValue(child, property.PropertyType) is { } unknown)
            {
                return unknown;
            }
        }

        return null;
    }

    /// <summary>Describes which source set <paramref name="path"/> (the highest-precedence one), for error messages.</summary>
    public static string? DescribeSource(IConfiguration configuration, string path)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }

        foreach (var provider in root.Providers.Reverse())
        {
            var isValue = provider.TryGet(path, out _);
            if (!isValue && !provider.GetChildKeys([], path).Any())
            {
                continue;
            }

            var variable = RookeryConfiguration.EnvironmentPrefix + path.Replace(":", "__", StringComparison.Ordinal);
            return provider switch
            {
                JsonConfigurationProvider json => $"in file '{json.Source.Path}'",
                EnvironmentVariablesConfigurationProvider => isValue ? $"by environment variable {variable}" : $"by environment variables {variable}__*",
                CommandLineConfigurationProvider => "on the command line",
                _ => null,
            };
        }

        return null;
    }

    private static string? FindUnknownInValue(IConfigurationSection section, Type type)
    {
        if (IsScalar(type))
        {
            // A scalar given as an object ("Port": { "x": 1 }): the child keys mean nothing.
            return section.GetChildren().FirstOrDefault()?.Path;
        }

        if (ElementType(type) is { } element)
        {
            foreach (var item in section.GetChildren())
            {
                if (FindUnknownInValue(item, element) is { } unknown)
                {
                    return unknown;
                }
            }

            return null;
        }

        return FindUnknown(section, type);
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan);
    }

    /// <summary>The value type of a dictionary or the item type of a list or array; null for other types.</summary>
    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!typeof(IEnumerable).IsAssignableFrom(type) || !type.IsGenericType)
        {
            return null;
        }

        var arguments = type.GetGenericArguments();
        return arguments.Length == 2 ? arguments[1] : arguments[0];
    }
}
