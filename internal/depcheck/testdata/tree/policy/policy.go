package policy

import (
	_ "example.test/tree/match"
)
