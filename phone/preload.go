package phone

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// A browser finds a module's imports only once it has that module, so a
// page whose modules import each other seven deep waits seven round trips
// before it runs: on a slow 3G link (2 s each) that is most of the time
// to a first screen. modulePreloads lists, for index.html, every module
// its entry reaches through static imports, so that the browser asks for
// all of them at once. Dynamic imports (the Public tab, the QR reader)
// stay lazy.

// staticImportRE finds the specifiers of static imports and re-exports:
// `import x from "s"`, `import "s"`, `export {x} from "s"`. Comments are
// removed first (usage examples in them name other paths).
var staticImportRE = regexp.MustCompile(`(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]*?\s*from\s*)?["']([^"']+)["']`)

var commentRE = regexp.MustCompile(`/\*(?s:.*?)\*/|(?m:^\s*//.*$)`)

// modulePreloads returns the page paths (below Prefix) of the modules
// entry imports statically, directly or not, entry excluded, sorted.
// imports is the page's own import map (bare names and prefixes).
func (s *fileSet) modulePreloads(entry string, imports map[string]string) ([]string, error) {
	seen := map[string]bool{entry: true}
	queue := []string{entry}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		f, ok := s.files[p]
		if !ok {
			return nil, fmt.Errorf("%s is imported but not in the page", Prefix+p)
		}
		src := commentRE.ReplaceAll(f.body, nil)
		for _, m := range staticImportRE.FindAllSubmatch(src, -1) {
			next, err := resolveImport(p, string(m[1]), imports)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", Prefix+p, err)
			}
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	delete(seen, entry)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// resolveImport resolves spec, imported by the module at page path from,
// as the browser would with the import map: relative to from, absolute,
// or by the map (an exact name, else the longest prefix ending in "/").
func resolveImport(from, spec string, imports map[string]string) (string, error) {
	var url string
	switch {
	case strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../"):
		url = path.Join(path.Dir(Prefix+from), spec)
	case strings.HasPrefix(spec, "/"):
		url = spec
	default:
		if v, ok := imports[spec]; ok {
			url = v
			break
		}
		best := ""
		for k := range imports {
			if strings.HasSuffix(k, "/") && strings.HasPrefix(spec, k) && len(k) > len(best) {
				best = k
			}
		}
		if best == "" {
			return "", fmt.Errorf("the import map has no entry for %q", spec)
		}
		url = imports[best] + strings.TrimPrefix(spec, best)
	}
	if !strings.HasPrefix(url, Prefix) {
		return "", fmt.Errorf("%q resolves outside %s", spec, Prefix)
	}
	return strings.TrimPrefix(url, Prefix), nil
}
