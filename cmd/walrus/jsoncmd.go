package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/walrus-go/walrus/internal/cmdline"
)

// jsonCommand is the input of `walrus json` (reference §7.4): the global
// options and one command with its arguments, all camelCase, e.g.
//
//	{"config": "c.yaml", "command": {"store": {"files": ["a.txt"], "epochs": 2}}}
type jsonCommand struct {
	Config     string                                `json:"config"`
	Context    string                                `json:"context"`
	Wallet     string                                `json:"wallet"`
	JSONOutput *bool                                 `json:"jsonOutput"`
	Command    map[string]map[string]json.RawMessage `json:"command"`
}

// positional names the arguments that are not flags, per command.
var positional = map[string]string{
	"store": "files", "write": "files", "read": "blobId", "blob-id": "file", "convert-blob-id": "blobId",
	"get-blob-attribute": "blobObjId", "set-blob-attribute": "blobObjId",
	"remove-blob-attribute-fields": "blobObjId", "remove-blob-attribute": "blobObjId", "info": "section",
}

// jsonArgs translates `walrus json` input into a command line. Output is
// JSON unless jsonOutput is false.
func jsonArgs(in []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.DisallowUnknownFields()
	var jc jsonCommand
	if err := dec.Decode(&jc); err != nil {
		return nil, cmdline.Usagef("json: %v", err)
	}
	if len(jc.Command) != 1 {
		return nil, cmdline.Usagef("json: \"command\" must hold exactly one command")
	}
	var args []string
	for flag, v := range map[string]string{"config": jc.Config, "context": jc.Context, "wallet": jc.Wallet} {
		if v != "" {
			args = append(args, "--"+flag, v)
		}
	}
	if jc.JSONOutput == nil || *jc.JSONOutput {
		args = append(args, "--json")
	}
	for name, fields := range jc.Command {
		if name == "json" {
			return nil, cmdline.Usagef("json: json cannot run itself")
		}
		cmd := kebab(name)
		args = append(args, cmd)
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, err := jsonValues(fields[k])
			if err != nil {
				return nil, cmdline.Usagef("json: %s.%s: %v", name, k, err)
			}
			if k == positional[cmd] {
				args = append(args, vals...)
				continue
			}
			flag := "--" + kebab(k)
			for _, v := range vals {
				switch v {
				case "true":
					args = append(args, flag)
				case "false":
				default:
					args = append(args, flag, v)
				}
			}
		}
	}
	return args, nil
}

// jsonValues renders a JSON value as command-line values: a string,
// number or boolean as one, an array as one per element.
func jsonValues(raw json.RawMessage) ([]string, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		list = []json.RawMessage{raw}
	}
	var out []string
	for _, r := range list {
		var v any
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			out = append(out, fmt.Sprint(x))
		default:
			return nil, fmt.Errorf("unsupported value %s", r)
		}
	}
	return out, nil
}

// kebab turns camelCase into kebab-case ("blobObjId" → "blob-obj-id").
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// expandJSON replaces `walrus [GLOBAL FLAGS] json [INPUT|-]` by the
// command line it describes (standard input when INPUT is - or missing);
// global flags before json are kept.
func expandJSON(args []string, stdin io.Reader) ([]string, error) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		switch args[i] {
		case "--config", "--context", "--wallet":
			i++ // the flag's value
		}
		i++
	}
	if i >= len(args) || args[i] != "json" {
		return args, nil
	}
	prefix := append([]string{}, args[:i]...)
	// Global flags may follow json too (not "-", which is standard input).
	var rest []string
	for j := i + 1; j < len(args); j++ {
		switch a := args[j]; {
		case a == "--config" || a == "--context" || a == "--wallet":
			if j+1 < len(args) {
				prefix = append(prefix, a, args[j+1])
				j++
			}
		case strings.HasPrefix(a, "-") && a != "-":
			prefix = append(prefix, a)
		default:
			rest = append(rest, a)
		}
	}
	var in []byte
	switch {
	case len(rest) > 1:
		return nil, cmdline.Usagef("json takes one argument (the JSON command, or - for standard input)")
	case len(rest) == 1 && rest[0] != "-":
		in = []byte(rest[0])
	default:
		var err error
		if in, err = io.ReadAll(stdin); err != nil {
			return nil, err
		}
	}
	out, err := jsonArgs(in)
	if err != nil {
		return nil, err
	}
	return append(prefix, out...), nil
}
