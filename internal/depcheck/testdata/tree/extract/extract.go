package extract

import (
	_ "example.test/tree/inventory"
)
