package scan

import (
	_ "example.test/tree/atomicfile"
	_ "example.test/tree/extract"
	_ "example.test/tree/extract/dpkg"
	_ "example.test/tree/match"
	_ "example.test/tree/policy"
	_ "example.test/tree/vex"
)
