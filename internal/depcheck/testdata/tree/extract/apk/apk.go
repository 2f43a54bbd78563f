package apk

import (
	_ "example.test/tree/extract"
)
