package dpkg

import _ "example.test/tree/stray"
