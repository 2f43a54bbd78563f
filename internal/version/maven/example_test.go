package maven_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/maven"
)

func ExampleCompare() {
	for _, pair := range [][2]string{
		{"2.17.0", "2.17.1"},
		{"1.0-SNAPSHOT", "1.0"},
		{"1.0.Final", "1.0"},
		{"1.0.0.RC1", "1.0.0-RC2"},
		{"1.0-sp1", "1.0"},
	} {
		c, err := maven.Compare(pair[0], pair[1])
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(pair[0], map[int]string{-1: "<", 0: "=", 1: ">"}[c], pair[1])
	}
	// Output:
	// 2.17.0 < 2.17.1
	// 1.0-SNAPSHOT < 1.0
	// 1.0.Final = 1.0
	// 1.0.0.RC1 < 1.0.0-RC2
	// 1.0-sp1 > 1.0
}
