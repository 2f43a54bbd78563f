package dpkg

import (
	_ "example.test/tree/extract"
	_ "example.test/tree/extract/apk"
)
