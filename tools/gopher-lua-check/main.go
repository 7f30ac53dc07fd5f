// Runs health scripts in real gopher-lua, set up like Argo CD's VM (util/lua/lua.go): standard
// libraries skipped unless openlibs, then package, base, table and a safe os (time, date). Reads JSON
// lines {script, obj, openlibs, mode}; writes JSON lines {status, message}, {value} or {error}. See README.md.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

type Case struct {
	Script   string                 `json:"script"`
	Obj      map[string]interface{} `json:"obj"`
	OpenLibs bool                   `json:"openlibs"`
	// "json": return what the script returned, encoded the way gopher-json (Argo CD's encoder)
	// does (for actions); otherwise read it as a health result.
	Mode string `json:"mode"`
}

// encode follows layeh.com/gopher-json: a table with MaxN > 0 is an array of 1..MaxN, any other
// table an object whose keys must be strings (an empty table is []).
func encode(v lua.LValue) (interface{}, error) {
	switch x := v.(type) {
	case lua.LBool:
		return bool(x), nil
	case lua.LNumber:
		return float64(x), nil
	case lua.LString:
		return string(x), nil
	case *lua.LNilType:
		return nil, nil
	case *lua.LTable:
		if n := x.MaxN(); n > 0 {
			arr := make([]interface{}, 0, n)
			for i := 1; i <= n; i++ {
				item, err := encode(x.RawGetInt(i))
				if err != nil {
					return nil, err
				}
				arr = append(arr, item)
			}
			return arr, nil
		}
		obj := map[string]interface{}{}
		var bad error
		x.ForEach(func(k, val lua.LValue) {
			key, ok := k.(lua.LString)
			if !ok {
				bad = fmt.Errorf("cannot encode mixed or invalid key types")
				return
			}
			item, err := encode(val)
			if err != nil {
				bad = err
			}
			obj[string(key)] = item
		})
		if bad != nil {
			return nil, bad
		}
		if len(obj) == 0 {
			return []interface{}{}, nil
		}
		return obj, nil
	}
	return nil, fmt.Errorf("cannot encode %s", v.Type().String())
}

func decodeValue(L *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []interface{}:
		arr := L.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(L, item))
		}
		return arr
	case map[string]interface{}:
		tbl := L.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(L, item))
		}
		return tbl
	}
	return lua.LNil
}

func safeOs(L *lua.LState) int {
	mod := L.RegisterModule(lua.OsLibName, map[string]lua.LGFunction{
		"time": func(L *lua.LState) int { L.Push(lua.LNumber(time.Now().Unix())); return 1 },
		"date": osDate,
	})
	L.Push(mod)
	return 1
}

// osDate behaves as Argo CD's safe os.date (util/lua/oslib_safe.go): a leading '!' means UTC, a second
// argument is a Unix time, and the format's % directives are Go layouts for the letters Argo CD maps
// (a A b B c d F H I m M p P S x X y Y z Z, plus w); anything else is kept as written.
func osDate(L *lua.LState) int {
	now := time.Now()
	format := "%c"
	if L.GetTop() >= 1 {
		format = L.CheckString(1)
		if strings.HasPrefix(format, "!") {
			now, format = now.UTC(), format[1:]
		}
		if L.GetTop() >= 2 {
			now = time.Unix(L.CheckInt64(2), 0)
		}
	}
	layouts := map[byte]string{
		'a': "Mon", 'A': "Monday", 'b': "Jan", 'B': "January", 'c': "02 Jan 06 15:04 MST", 'd': "02",
		'F': "2006-01-02", 'H': "15", 'I': "03", 'm': "01", 'M': "04", 'p': "PM", 'P': "pm", 'S': "05",
		'x': "15/04/05", 'X': "15:04:05", 'y': "06", 'Y': "2006", 'z': "-0700", 'Z': "MST",
	}
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			out.WriteByte(c)
			continue
		}
		i++
		switch d := format[i]; {
		case d == '%':
			out.WriteByte('%')
		case d == 'w':
			out.WriteString(strconv.Itoa(int(now.Weekday())))
		case layouts[d] != "":
			out.WriteString(now.Format(layouts[d]))
		default:
			out.WriteByte('%')
			out.WriteByte(d)
		}
	}
	L.Push(lua.LString(out.String()))
	return 1
}

func main() {
	scripts := map[string]string{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var c Case
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			panic(err)
		}
		src, ok := scripts[c.Script]
		if !ok {
			b, err := ioutil.ReadFile(c.Script)
			if err != nil {
				panic(err)
			}
			src = string(b)
			scripts[c.Script] = src
		}
		L := lua.NewState(lua.Options{SkipOpenLibs: !c.OpenLibs})
		for _, pair := range []struct {
			n string
			f lua.LGFunction
		}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.OsLibName, safeOs}} {
			if err := L.CallByParam(lua.P{Fn: L.NewFunction(pair.f), NRet: 0, Protect: true}, lua.LString(pair.n)); err != nil {
				panic(err)
			}
		}
		L.SetGlobal("obj", decodeValue(L, c.Obj))
		res := map[string]interface{}{}
		if err := L.DoString(src); err != nil {
			res["error"] = err.Error()
		} else if c.Mode == "json" {
			value, err := encode(L.Get(-1))
			if err != nil {
				res["error"] = err.Error()
			} else {
				res["value"] = value
			}
		} else {
			rv := L.Get(-1)
			if t, ok := rv.(*lua.LTable); ok {
				res["status"] = lua.LVAsString(t.RawGetString("status"))
				res["message"] = lua.LVAsString(t.RawGetString("message"))
			} else {
				res["error"] = fmt.Sprintf("returned %s", rv.Type().String())
			}
		}
		L.Close()
		b, _ := json.Marshal(res)
		out.Write(b)
		out.WriteString("\n")
	}
}
