package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Reactions are emoji: a reaction must be one to a few Unicode emoji
// sequences (UTS #51), not arbitrary text, and it is stored in one
// normalised form, so that "❤" and "❤️" (the same heart with VARIATION
// SELECTOR-16), which people mean as one reaction, are counted as one.
//
// rivo/uniseg splits the text into grapheme clusters (UAX #29); whether a
// cluster is an emoji is checked here, on the structure of UTS #51's
// sequences:
//
//	keycap   [0-9#*] FE0F? 20E3
//	flag     two regional indicators
//	other    elements joined by ZWJ (200D), each a pictograph followed by
//	         at most one of: FE0F, a skin-tone modifier (1F3FB-1F3FF), or
//	         a tag sequence (E0020-E007E repeated, then E007F)
//
// The check is structural, not a lookup in the list of recommended (RGI)
// sequences: a client shows an unknown ZWJ sequence as its parts, and new
// emoji pass without a table update.

// Limits of a reaction's emoji.
const (
	MaxEmojiClusters = 8
	// MaxEmojiBytes is 40, not the 32 first planned: the longest emoji
	// Unicode recommends (a couple with a kiss and two skin tones) take
	// 35 bytes, and every real emoji must be usable on its own.
	MaxEmojiBytes = 40
)

// The code points that build emoji sequences besides pictographs.
const (
	vs16      = '\uFE0F' // VARIATION SELECTOR-16: show as emoji
	zwj       = '\u200D' // ZERO WIDTH JOINER
	keycap    = '\u20E3' // COMBINING ENCLOSING KEYCAP
	cancelTag = '\U000E007F'
)

// NormalizeEmoji returns emoji in the form reactions store it (see
// cleanEmoji), to find a reaction by its emoji in any form.
func NormalizeEmoji(emoji string) (string, error) { return cleanEmoji(emoji) }

// cleanEmoji checks that s is 1 to MaxEmojiClusters emoji and returns its
// normalised form, at most MaxEmojiBytes long: every element fully
// qualified as in Unicode's emoji-test.txt (FE0F after a pictograph that
// shows as text by default, none after one that shows as emoji, always
// in a keycap), so that the forms clients send of one emoji group together.
func cleanEmoji(s string) (string, error) {
	bad := Invalid("emoji", "a reaction must be 1 to %d emoji, at most %d bytes", MaxEmojiClusters, MaxEmojiBytes)
	// The normalised form differs from s by a few selectors at most: a
	// longer s cannot pass, and is not worth splitting.
	if s == "" || len(s) > 4*MaxEmojiBytes || !utf8.ValidString(s) {
		return "", bad
	}
	var out strings.Builder
	state := -1
	for n := 1; s != ""; n++ {
		var cluster string
		cluster, s, _, state = uniseg.FirstGraphemeClusterInString(s, state)
		if n > MaxEmojiClusters || !appendEmoji(&out, []rune(cluster)) {
			return "", bad
		}
	}
	if out.Len() > MaxEmojiBytes {
		return "", bad
	}
	return out.String(), nil
}

// appendEmoji writes the normalised form of the emoji sequence rs (one
// grapheme cluster) to b, or reports false if rs is not one.
func appendEmoji(b *strings.Builder, rs []rune) bool {
	switch first := rs[0]; {
	case first == '#' || first == '*' || (first >= '0' && first <= '9'):
		rest := rs[1:]
		if len(rest) > 0 && rest[0] == vs16 {
			rest = rest[1:]
		}
		if len(rest) != 1 || rest[0] != keycap {
			return false
		}
		b.WriteString(string([]rune{first, vs16, keycap}))
		return true
	case isRegionalIndicator(first):
		if len(rs) != 2 || !isRegionalIndicator(rs[1]) {
			return false
		}
		b.WriteString(string(rs))
		return true
	}
	for i := 0; ; {
		n := emojiElement(b, rs[i:])
		if n == 0 {
			return false
		}
		if i += n; i == len(rs) {
			return true
		}
		if rs[i] != zwj {
			return false
		}
		b.WriteRune(zwj)
		i++
	}
}

// emojiElement writes the normalised form of the element that starts rs
// (a pictograph and its modifier, tags or selector) and returns its
// length in runes, or 0 if rs does not start with one.
func emojiElement(b *strings.Builder, rs []rune) int {
	if len(rs) == 0 || !unicode.Is(extendedPictographic, rs[0]) {
		return 0
	}
	b.WriteRune(rs[0])
	switch {
	case len(rs) > 1 && rs[1] >= 0x1F3FB && rs[1] <= 0x1F3FF: // a skin tone: never a selector before it
		b.WriteRune(rs[1])
		return 2
	case len(rs) > 1 && isTag(rs[1]): // a subdivision flag such as England's
		n := 1
		for n < len(rs) && isTag(rs[n]) {
			n++
		}
		if n == len(rs) || rs[n] != cancelTag {
			return 0
		}
		b.WriteString(string(rs[1 : n+1]))
		return n + 1
	}
	if showsAsText(rs[0]) {
		b.WriteRune(vs16)
	}
	if len(rs) > 1 && rs[1] == vs16 {
		return 2
	}
	return 1
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func isTag(r rune) bool { return r >= 0xE0020 && r <= 0xE007E }

// showsAsText reports whether pictograph r shows as text unless FE0F
// follows (Emoji_Presentation=No), such as ❤ U+2764. uniseg documents that
// it gives an Extended_Pictographic character the width 2 exactly when its
// Emoji_Presentation is Yes. Its tables are of Unicode 15.0, like Go's: a
// character unassigned there is a newer emoji, and every emoji added since
// Unicode 9 shows as emoji by default.
func showsAsText(r rune) bool {
	assigned := unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
	return assigned && uniseg.StringWidth(string(r)) == 1
}

// extendedPictographic is Unicode's Extended_Pictographic property: the
// characters emoji are made of, with the code points reserved for future
// emoji. It is the emoji-data.txt of Unicode 15.0
// (https://unicode.org/Public/15.0.0/ucd/emoji/emoji-data.txt), as
// rivo/uniseg v0.4.7 ships it, with adjacent ranges merged; uniseg keeps
// its own copy unexported.
var extendedPictographic = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0xA9, 0xA9, 1}, {0xAE, 0xAE, 1}, {0x203C, 0x203C, 1}, {0x2049, 0x2049, 1}, {0x2122, 0x2122, 1},
		{0x2139, 0x2139, 1}, {0x2194, 0x2199, 1}, {0x21A9, 0x21AA, 1}, {0x231A, 0x231B, 1}, {0x2328, 0x2328, 1},
		{0x2388, 0x2388, 1}, {0x23CF, 0x23CF, 1}, {0x23E9, 0x23F3, 1}, {0x23F8, 0x23FA, 1}, {0x24C2, 0x24C2, 1},
		{0x25AA, 0x25AB, 1}, {0x25B6, 0x25B6, 1}, {0x25C0, 0x25C0, 1}, {0x25FB, 0x25FE, 1}, {0x2600, 0x2605, 1},
		{0x2607, 0x2612, 1}, {0x2614, 0x2685, 1}, {0x2690, 0x2705, 1}, {0x2708, 0x2712, 1}, {0x2714, 0x2714, 1},
		{0x2716, 0x2716, 1}, {0x271D, 0x271D, 1}, {0x2721, 0x2721, 1}, {0x2728, 0x2728, 1}, {0x2733, 0x2734, 1},
		{0x2744, 0x2744, 1}, {0x2747, 0x2747, 1}, {0x274C, 0x274C, 1}, {0x274E, 0x274E, 1}, {0x2753, 0x2755, 1},
		{0x2757, 0x2757, 1}, {0x2763, 0x2767, 1}, {0x2795, 0x2797, 1}, {0x27A1, 0x27A1, 1}, {0x27B0, 0x27B0, 1},
		{0x27BF, 0x27BF, 1}, {0x2934, 0x2935, 1}, {0x2B05, 0x2B07, 1}, {0x2B1B, 0x2B1C, 1}, {0x2B50, 0x2B50, 1},
		{0x2B55, 0x2B55, 1}, {0x3030, 0x3030, 1}, {0x303D, 0x303D, 1}, {0x3297, 0x3297, 1}, {0x3299, 0x3299, 1},
	},
	R32: []unicode.Range32{
		{0x1F000, 0x1F0FF, 1}, {0x1F10D, 0x1F10F, 1}, {0x1F12F, 0x1F12F, 1}, {0x1F16C, 0x1F171, 1},
		{0x1F17E, 0x1F17F, 1}, {0x1F18E, 0x1F18E, 1}, {0x1F191, 0x1F19A, 1}, {0x1F1AD, 0x1F1E5, 1},
		{0x1F201, 0x1F20F, 1}, {0x1F21A, 0x1F21A, 1}, {0x1F22F, 0x1F22F, 1}, {0x1F232, 0x1F23A, 1},
		{0x1F23C, 0x1F23F, 1}, {0x1F249, 0x1F3FA, 1}, {0x1F400, 0x1F53D, 1}, {0x1F546, 0x1F64F, 1},
		{0x1F680, 0x1F6FF, 1}, {0x1F774, 0x1F77F, 1}, {0x1F7D5, 0x1F7FF, 1}, {0x1F80C, 0x1F80F, 1},
		{0x1F848, 0x1F84F, 1}, {0x1F85A, 0x1F85F, 1}, {0x1F888, 0x1F88F, 1}, {0x1F8AE, 0x1F8FF, 1},
		{0x1F90C, 0x1F93A, 1}, {0x1F93C, 0x1F945, 1}, {0x1F947, 0x1FAFF, 1}, {0x1FC00, 0x1FFFD, 1},
	},
	LatinOffset: 2,
}
