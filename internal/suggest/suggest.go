// Package suggest finds the word a user probably meant: the nearest known
// name to a mistyped command, flag, scheme or file name.
package suggest

// Distance is the Levenshtein distance between a and b, counted in bytes,
// with a swap of two neighbours counted as one edit (so "dcoker" is one
// edit from "docker", as people mistype).
func Distance(a, b string) int {
	// Three rows of the optimal string alignment table.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to word within maxDist edits, and
// false when none is that near. Ties go to the earlier candidate; an exact
// match is not a suggestion and is passed over.
func Closest(word string, candidates []string, maxDist int) (string, bool) {
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		if c == word {
			continue
		}
		if d := Distance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}

// MaxTypos is how many edits a word of length n may be from the name it
// stands for and still be taken for a typo of it: one for short names, where
// two edits turn one real word into another ("dart" and "dir"), two from six
// letters on.
func MaxTypos(n int) int {
	switch {
	case n < 3:
		return 0
	case n < 6:
		return 1
	}
	return 2
}
