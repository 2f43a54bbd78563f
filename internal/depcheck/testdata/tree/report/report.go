package report

import (
	_ "example.test/tree/inventory"
	_ "example.test/tree/match"
)
