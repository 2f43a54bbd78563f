package match

import (
	_ "example.test/tree/inventory"
	_ "example.test/tree/report"
)
