namespace ChatOps.Core.Commands;

/// <summary>
/// Letters from other scripts that look like Latin a–z (a small part of the UTS #39 confusables
/// table), so <c>restаrt</c> with a Cyrillic а can be named and its ASCII skeleton suggested.
/// </summary>
internal static class Confusables
{
    internal readonly record struct LookAlike(char Latin, string Name);

    private static readonly Dictionary<char, LookAlike> Table = new()
    {
        ['\u0131'] = new('i', "LATIN SMALL LETTER DOTLESS I"),
        ['\u0251'] = new('a', "LATIN SMALL LETTER ALPHA"),
        ['\u0261'] = new('g', "LATIN SMALL LETTER SCRIPT G"),
        ['\u0269'] = new('i', "LATIN SMALL LETTER IOTA"),
        ['\u028B'] = new('u', "LATIN SMALL LETTER V WITH HOOK"),
        ['\u037F'] = new('J', "GREEK CAPITAL LETTER YOT"),
        ['\u0391'] = new('A', "GREEK CAPITAL LETTER ALPHA"),
        ['\u0392'] = new('B', "GREEK CAPITAL LETTER BETA"),
        ['\u0395'] = new('E', "GREEK CAPITAL LETTER EPSILON"),
        ['\u0396'] = new('Z', "GREEK CAPITAL LETTER ZETA"),
        ['\u0397'] = new('H', "GREEK CAPITAL LETTER ETA"),
        ['\u0399'] = new('I', "GREEK CAPITAL LETTER IOTA"),
        ['\u039A'] = new('K', "GREEK CAPITAL LETTER KAPPA"),
        ['\u039C'] = new('M', "GREEK CAPITAL LETTER MU"),
        ['\u039D'] = new('N', "GREEK CAPITAL LETTER NU"),
        ['\u039F'] = new('O', "GREEK CAPITAL LETTER OMICRON"),
        ['\u03A1'] = new('P', "GREEK CAPITAL LETTER RHO"),
        ['\u03A4'] = new('T', "GREEK CAPITAL LETTER TAU"),
        ['\u03A5'] = new('Y', "GREEK CAPITAL LETTER UPSILON"),
        ['\u03A7'] = new('X', "GREEK CAPITAL LETTER CHI"),
        ['\u03B1'] = new('a', "GREEK SMALL LETTER ALPHA"),
        ['\u03B3'] = new('y', "GREEK SMALL LETTER GAMMA"),
        ['\u03B7'] = new('n', "GREEK SMALL LETTER ETA"),
        ['\u03B9'] = new('i', "GREEK SMALL LETTER IOTA"),
        ['\u03BA'] = new('k', "GREEK SMALL LETTER KAPPA"),
        ['\u03BD'] = new('v', "GREEK SMALL LETTER NU"),
        ['\u03BF'] = new('o', "GREEK SMALL LETTER OMICRON"),
        ['\u03C1'] = new('p', "GREEK SMALL LETTER RHO"),
        ['\u03C5'] = new('u', "GREEK SMALL LETTER UPSILON"),
        ['\u03C7'] = new('x', "GREEK SMALL LETTER CHI"),
        ['\u03F2'] = new('c', "GREEK LUNATE SIGMA SYMBOL"),
        ['\u03F3'] = new('j', "GREEK LETTER YOT"),
        ['\u03F9'] = new('C', "GREEK CAPITAL LUNATE SIGMA SYMBOL"),
        ['\u0405'] = new('S', "CYRILLIC CAPITAL LETTER DZE"),
        ['\u0406'] = new('I', "CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I"),
        ['\u0408'] = new('J', "CYRILLIC CAPITAL LETTER JE"),
        ['\u0410'] = new('A', "CYRILLIC CAPITAL LETTER A"),
        ['\u0412'] = new('B', "CYRILLIC CAPITAL LETTER VE"),
        ['\u0415'] = new('E', "CYRILLIC CAPITAL LETTER IE"),
        ['\u0417'] = new('3', "CYRILLIC CAPITAL LETTER ZE"),
        ['\u041A'] = new('K', "CYRILLIC CAPITAL LETTER KA"),
        ['\u041C'] = new('M', "CYRILLIC CAPITAL LETTER EM"),
        ['\u041D'] = new('H', "CYRILLIC CAPITAL LETTER EN"),
        ['\u041E'] = new('O', "CYRILLIC CAPITAL LETTER O"),
        ['\u0420'] = new('P', "CYRILLIC CAPITAL LETTER ER"),
        ['\u0421'] = new('C', "CYRILLIC CAPITAL LETTER ES"),
        ['\u0422'] = new('T', "CYRILLIC CAPITAL LETTER TE"),
        ['\u0423'] = new('Y', "CYRILLIC CAPITAL LETTER U"),
        ['\u0425'] = new('X', "CYRILLIC CAPITAL LETTER HA"),
        ['\u0430'] = new('a', "CYRILLIC SMALL LETTER A"),
        ['\u0433'] = new('r', "CYRILLIC SMALL LETTER GHE"),
        ['\u0435'] = new('e', "CYRILLIC SMALL LETTER IE"),
        ['\u043A'] = new('k', "CYRILLIC SMALL LETTER KA"),
        ['\u043E'] = new('o', "CYRILLIC SMALL LETTER O"),
        ['\u0440'] = new('p', "CYRILLIC SMALL LETTER ER"),
        ['\u0441'] = new('c', "CYRILLIC SMALL LETTER ES"),
        ['\u0443'] = new('y', "CYRILLIC SMALL LETTER U"),
        ['\u0445'] = new('x', "CYRILLIC SMALL LETTER HA"),
        ['\u0455'] = new('s', "CYRILLIC SMALL LETTER DZE"),
        ['\u0456'] = new('i', "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I"),
        ['\u0458'] = new('j', "CYRILLIC SMALL LETTER JE"),
        ['\u0474'] = new('V', "CYRILLIC CAPITAL LETTER IZHITSA"),
        ['\u0475'] = new('v', "CYRILLIC SMALL LETTER IZHITSA"),
        ['\u04AE'] = new('Y', "CYRILLIC CAPITAL LETTER STRAIGHT U"),
        ['\u04AF'] = new('y', "CYRILLIC SMALL LETTER STRAIGHT U"),
        ['\u04BA'] = new('H', "CYRILLIC CAPITAL LETTER SHHA"),
        ['\u04BB'] = new('h', "CYRILLIC SMALL LETTER SHHA"),
        ['\u04C0'] = new('I', "CYRILLIC LETTER PALOCHKA"),
        ['\u04CF'] = new('l', "CYRILLIC SMALL LETTER PALOCHKA"),
        ['\u0501'] = new('d', "CYRILLIC SMALL LETTER KOMI DE"),
        ['\u051A'] = new('Q', "CYRILLIC CAPITAL LETTER QA"),
        ['\u051B'] = new('q', "CYRILLIC SMALL LETTER QA"),
        ['\u051C'] = new('W', "CYRILLIC CAPITAL LETTER WE"),
        ['\u051D'] = new('w', "CYRILLIC SMALL LETTER WE"),
        ['\u0570'] = new('h', "ARMENIAN SMALL LETTER HO"),
        ['\u0578'] = new('n', "ARMENIAN SMALL LETTER VO"),
        ['\u057D'] = new('u', "ARMENIAN SMALL LETTER SEH"),
        ['\u0585'] = new('o', "ARMENIAN SMALL LETTER OH"),
    };

    public static bool TryGet(char c, out LookAlike lookAlike) => Table.TryGetValue(c, out lookAlike);

    /// <summary>The text with every known look-alike replaced by the Latin letter it imitates.</summary>
    public static string Skeleton(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (Table.TryGetValue(chars[i], out var lookAlike)) chars[i] = lookAlike.Latin;
        }

        return new string(chars);
    }
}
