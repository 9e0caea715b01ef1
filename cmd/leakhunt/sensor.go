package main

import (
	"flag"
	"os"
	"strings"

	"github.com/leakhunt/leakhunt/store"
)

// sensorFlags name this hunter in a store shared by several (PostgreSQL):
// each sensor has its own signing key and evidence log.
type sensorFlags struct {
	name string
	addr string
	key  string
}

func (f *sensorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "sensor", os.Getenv("LEAKHUNT_SENSOR"), "with a PostgreSQL --db: this hunter's `name` in the shared store, with its own key and log (env LEAKHUNT_SENSOR; default: the host name)")
	fs.StringVar(&f.addr, "sensor-addr", os.Getenv("LEAKHUNT_SENSOR_ADDR"), "with a PostgreSQL --db: this hunter's public `address` as peers see it, recorded with its sensor (env LEAKHUNT_SENSOR_ADDR)")
	fs.StringVar(&f.key, "sensor-key", os.Getenv("LEAKHUNT_SENSOR_KEY"), "with a PostgreSQL --db: `path` beside which this sensor's signing key is kept (PATH.key, PATH.pub; default ./leakhunt-SENSOR) (env LEAKHUNT_SENSOR_KEY)")
}

// options fills opt with the sensor settings when db is a PostgreSQL URL.
func (f *sensorFlags) options(db string, opt *store.Options) *store.Options {
	if !store.IsURL(db) {
		return opt
	}
	opt.Sensor, opt.SensorAddr, opt.KeyPath = f.name, f.addr, f.key
	if opt.Sensor == "" {
		opt.Sensor = hostSensorName()
	}
	return opt
}

// hostSensorName is the host name made into a sensor name.
func hostSensorName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "sensor"
	}
	h = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, h)
	h = strings.TrimLeft(h, ".-_")
	if h == "" || store.CheckSensorName(h) != nil {
		return "sensor"
	}
	return h
}

// localBase is the path local files of the store given by --db are named
// after (the dashboard's access token): the bbolt file, or for a shared
// store the sensor's key path.
func (c *common) localBase() string {
	if !store.IsURL(c.db) {
		return c.db
	}
	opt := c.sensor.options(c.db, &store.Options{})
	if opt.KeyPath != "" {
		return opt.KeyPath
	}
	return "leakhunt-" + opt.Sensor
}
