package vex

import (
	_ "example.test/tree/report"
)
