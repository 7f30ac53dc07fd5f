// Command deep-links-check evaluates Argo CD deep links the way the Argo CD server does
// (server/deeplinks/deeplinks.go, EvaluateDeepLinksResponse): each link's "if" with expr's Eval over
// the data, then its "url" as a Go text/template with sprig's generic functions minus env, expandenv
// and getHostByName. Written for flink-gitops' tests; built from Debian's packages (no module download).
//
// Input on stdin, one JSON object per line: {"links": [...DeepLink...], "data": {"resource": {...}, ...}}.
// Output, one JSON line per input: [{"title": ..., "shown": bool, "url": ..., "error": ...}, ...].
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/antonmedv/expr"
)

type deepLink struct {
	URL       string  `json:"url"`
	Title     string  `json:"title"`
	Condition *string `json:"if,omitempty"`
}

type request struct {
	Links []deepLink     `json:"links"`
	Data  map[string]any `json:"data"`
}

type result struct {
	Title string `json:"title"`
	Shown bool   `json:"shown"`
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
}

func functions() template.FuncMap {
	funcs := sprig.GenericFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(funcs, name)
	}
	return funcs
}

func evaluate(link deepLink, data map[string]any, funcs template.FuncMap) result {
	out := result{Title: link.Title}
	if link.Condition != nil {
		value, err := expr.Eval(*link.Condition, data)
		if err != nil {
			out.Error = "condition: " + err.Error()
			return out
		}
		shown, ok := value.(bool)
		if !ok {
			out.Error = fmt.Sprintf("condition evaluated to non-boolean %T", value)
			return out
		}
		if !shown {
			return out
		}
	}
	tmpl, err := template.New("deep-link").Funcs(funcs).Parse(link.URL)
	if err != nil {
		out.Error = "parse: " + err.Error()
		return out
	}
	var url bytes.Buffer
	if err := tmpl.Execute(&url, data); err != nil {
		out.Error = "template: " + err.Error()
		return out
	}
	out.Shown, out.URL = true, url.String()
	return out
}

func main() {
	funcs := functions()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad input line:", err)
			os.Exit(2)
		}
		results := make([]result, 0, len(req.Links))
		for _, link := range req.Links {
			results = append(results, evaluate(link, req.Data, funcs))
		}
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
