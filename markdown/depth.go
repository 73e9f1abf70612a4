package markdown

import "bytes"

// maxParseDepth is the deepest nesting of quotes and lists that is read as
// such. goldmark's time grows with the square of a line's nesting (a
// signed report of 100,000 '>' took it 24 seconds on a busy machine, at
// every view), and no report nests deeper than a few levels.
const maxParseDepth = 32

// shallow escapes, on each line of src, the quote and list markers past
// maxParseDepth, so that the rest of the line reads as text. src is returned
// as it is when no line nests that deep.
func shallow(src []byte) []byte {
	var out []byte // nil until a line changes
	for start := 0; start < len(src); {
		end := bytes.IndexByte(src[start:], '\n') + 1
		if end == 0 {
			end = len(src) - start
		}
		line := src[start : start+end]
		if at := tooDeep(line); at >= 0 {
			if out == nil {
				out = append(make([]byte, 0, len(src)+len(src)/16), src[:start]...)
			}
			out = append(append(append(out, line[:at]...), '\\'), line[at:]...)
		} else if out != nil {
			out = append(out, line...)
		}
		start += end
	}
	if out == nil {
		return src
	}
	return out
}

// tooDeep is where in line the marker past maxParseDepth is (for an ordered
// list item, its '.' or ')'), or -1.
func tooDeep(line []byte) int {
	depth := 0
	for i := 0; i < len(line); i++ {
		at := i
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			continue
		case c == '>' || c == '-' || c == '*' || c == '+':
		case c >= '0' && c <= '9':
			for i < len(line) && line[i] >= '0' && line[i] <= '9' {
				i++
			}
			if i == len(line) || (line[i] != '.' && line[i] != ')') {
				return -1
			}
			at = i
		default:
			return -1
		}
		if depth++; depth > maxParseDepth {
			return at
		}
	}
	return -1
}
