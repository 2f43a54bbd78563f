package cli

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/customs-scanner/customs/internal/report/table"
)

// tableWidth is the width a table written to w is fitted to: the
// terminal's when w is one, else $COLUMNS (a CI runner or a pipe through
// less can set it), else table.DefaultWidth.
func tableWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return widthFromEnv(os.Getenv("COLUMNS"))
}

// widthFromEnv reads a $COLUMNS value; anything but a positive number is
// table.DefaultWidth.
func widthFromEnv(columns string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	return table.DefaultWidth
}
