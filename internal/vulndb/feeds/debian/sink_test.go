package debian

import (
	"context"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// collector is the consumer of an import in tests: it keeps what it is given.
type collector struct{ advs []*vulndb.Advisory }

func (c *collector) Add(_ context.Context, a *vulndb.Advisory) error {
	c.advs = append(c.advs, a)
	return nil
}

// byID returns the collected advisories with id.
func (c *collector) byID(id string) []*vulndb.Advisory {
	var out []*vulndb.Advisory
	for _, a := range c.advs {
		if a.ID == id {
			out = append(out, a)
		}
	}
	return out
}
