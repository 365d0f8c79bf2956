package main

import (
	"fmt"
	"unicode"
)

// splitFlags splits the texts of -flags into arguments. make passes a
// variable of flags (RENDER_FLAGS) as one such text, quoted, because its
// recipe's shell, given the variable unquoted, would remove the quotes a
// JSON value holds ({"api":"gateway-api"} became {api:gateway-api}).
//
// A text splits at spaces, tabs and line breaks, except inside a JSON
// string, object or list, so a value written as JSON with spaces stays
// one argument. Nothing else is interpreted: quotes stay part of the
// value, and no variable or pattern is expanded, so each flag arrives as
// the user wrote it. An unclosed quote, bracket or brace is refused, as
// it would join the rest of the text into one argument.
func splitFlags(texts []string) ([]string, error) {
	var words []string
	for _, text := range texts {
		w, err := splitFlagText(text)
		if err != nil {
			return nil, err
		}
		words = append(words, w...)
	}
	return words, nil
}

func splitFlagText(text string) ([]string, error) {
	var (
		words   []string
		word    []rune
		inWord  bool
		start   int    // where the current word starts, in bytes
		open    []int  // where each unclosed bracket or brace is
		closing []rune // the rune that closes each
		quote   = -1   // where an unclosed string starts, or -1
		escaped bool
	)
	for i, r := range text {
		if !inWord {
			if unicode.IsSpace(r) {
				continue
			}
			inWord, start = true, i
		}
		switch {
		case quote >= 0:
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				quote = -1
			}
		case r == '"':
			quote = i
		case r == '{' || r == '[':
			open = append(open, i)
			closing = append(closing, map[rune]rune{'{': '}', '[': ']'}[r])
		case len(closing) > 0 && r == closing[len(closing)-1]:
			open, closing = open[:len(open)-1], closing[:len(closing)-1]
		case len(open) == 0 && unicode.IsSpace(r):
			words = append(words, string(word))
			word, inWord = word[:0], false
			continue
		}
		word = append(word, r)
	}
	unclosed := quote
	if len(open) > 0 {
		unclosed = max(unclosed, open[len(open)-1])
	}
	if unclosed >= 0 {
		// Only the word up to the unclosed mark is named: the text may hold
		// a secret's value after it.
		return nil, fmt.Errorf("-flags: the %c in %q is never closed; want JSON's quotes, brackets and braces closed (the text splits at spaces outside them)",
			text[unclosed], text[start:unclosed+1])
	}
	if inWord {
		words = append(words, string(word))
	}
	return words, nil
}
