package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"io/fs"
	"math/big"
	mrand "math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/store"
)

// `shep log synth` fills a data dir's message log with synthetic exchanges shaped like the
// gateway's own records (the load tests' "1 million stored messages"): the same senders,
// services, channels, steps and statuses, and SOAP bodies of the real size and structure
// (WS-Security header with a certificate, ГБД ФЛ answers of generated persons, escaped signed
// application documents). Signatures and digests are random bytes: nothing in them verifies.

const synthUsage = "shep log synth --data DIR --count N [--services ID=WEIGHT,…] [--span D] [--retention D] [--seed N]"

const defaultSynthServices = gbdfl.ServiceID + "=70,AKT-3=20,AKT-1=10"

func runLogSynth(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "log synth")
	count := fs.Int("count", 0, "records to add (required)")
	services := fs.String("services", defaultSynthServices, "services and their weights: "+gbdfl.ServiceID+" (an information system's lookup) or catalogue services (applications through the portal)")
	span := fs.Duration("span", 7*24*time.Hour, "the records' Received times spread evenly over this period, ending now")
	retention := fs.Duration("retention", 720*time.Hour, "the log's retention (as shep serve --retention): each record expires this long after its Received")
	seed := fs.Uint64("seed", 0, "seed of the generator: identifiers, persons, services, statuses (default 0: a random one, so that fills add up)")
	batch := fs.Int("batch", 1000, "records per import call")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected arguments %q; %s", errUsage, fs.Args(), synthUsage)
	case *count <= 0:
		return fmt.Errorf("%w: --count must be positive; %s", errUsage, synthUsage)
	case *span <= 0 || *retention <= 0:
		return fmt.Errorf("%w: --span and --retention must be positive", errUsage)
	case *span >= *retention:
		return fmt.Errorf("%w: --span %s must be shorter than --retention %s (older records would have expired)", errUsage, *span, *retention)
	case *batch <= 0:
		return fmt.Errorf("%w: --batch must be positive", errUsage)
	}
	mix, err := parseSynthServices(*services)
	if err != nil {
		return err
	}
	if *seed == 0 {
		*seed = mrand.Uint64() | 1
	}
	start := time.Now()
	gen, err := newSynth(ctx, synthOptions{Mix: mix, Count: *count, Span: *span, Seed: *seed, End: start})
	if err != nil {
		return err
	}

	dir := filepath.Join(*data, "store")
	db, err := openBulkStore(dir)
	if err != nil {
		if strings.Contains(err.Error(), "lock") {
			return fmt.Errorf("the store in %s is in use by another process (is shep serve running?): stop it first, "+
				"log synth writes to the store directly (%w)", *data, err)
		}
		return err
	}
	defer db.Close()
	l, err := msglog.Open(db, logOptions(*data, msglog.Options{TTL: *retention}))
	if err != nil {
		return err
	}
	defer l.Close()

	// One goroutine generates, this one writes.
	batches := make(chan []*msglog.Record, 2)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		for i := 0; i < *count; i += *batch {
			b := make([]*msglog.Record, 0, min(*batch, *count-i))
			for j := i; j < i+cap(b); j++ {
				b = append(b, gen.record(j))
			}
			select {
			case batches <- b:
			case <-gctx.Done():
				return
			}
		}
	}()
	written, lastReport := 0, time.Now()
	for b := range batches {
		n, err := l.Import(ctx, b)
		written += n
		if err != nil {
			return fmt.Errorf("after %d records: %w", written, err)
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			el := time.Since(start).Seconds()
			fmt.Fprintf(e.stderr, "shep log synth: %d of %d records, %.0f records/s\n", written, *count, float64(written)/el)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted after %d records: %w", written, err)
	}
	if err := l.Close(); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	el := time.Since(start)
	bodies := logOptions(*data, msglog.Options{}).BodyDir
	fmt.Fprintf(e.stdout, "log synth: %d records (%s) over the last %s in %.1f s: %.0f records/s; store %s: %.0f MB, bodies %s: %.0f MB\n",
		written, mix, *span, el.Seconds(), float64(written)/el.Seconds(), dir, float64(dirSize(dir))/(1<<20),
		bodies, float64(dirSize(bodies))/(1<<20))
	return nil
}

// openBulkStore opens the store in dir for a bulk load: with store.Open's options (so that the
// records land where the gateway would put them: value threshold, compression, table format)
// but for compaction's pace and durability. store.Open's small memtables and level-0 allowance
// make badger compact the same bytes many more times during a fill (measured: 200,000 records
// in 150 s with them, 55 s with these), and a fill needs no fsync per transaction (Close writes
// everything out). These settings only steer compaction: the gateway's next start reads the
// tables as any others and compacts under its own settings.
func openBulkStore(dir string) (*store.DB, error) {
	// store.Open first: its options, and its lock (a running gateway holds the store).
	db, err := store.Open(store.Options{Dir: dir, NoSync: true})
	if err != nil {
		return nil, err
	}
	bo := db.Opts()
	if err := db.Close(); err != nil {
		return nil, err
	}
	bo.Logger = nil
	bo.SyncWrites = false
	bo.MemTableSize = max(bo.MemTableSize, 64<<20)
	bo.NumMemtables = max(bo.NumMemtables, 3)
	bo.NumLevelZeroTables = max(bo.NumLevelZeroTables, 8)
	bo.NumLevelZeroTablesStall = max(bo.NumLevelZeroTablesStall, 16)
	bo.BaseTableSize = max(bo.BaseTableSize, 8<<20)
	bo.BaseLevelSize = max(bo.BaseLevelSize, 64<<20)
	bdb, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	return &store.DB{DB: bdb}, nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// synthService is one service of the fill and its weight. App is its catalogue entry (an
// application through Channel); nil for the ГБД ФЛ lookup.
type synthService struct {
	ID      string
	Weight  int
	App     *catalogue.Service
	Channel string
}

type synthMix []synthService

func (m synthMix) String() string {
	parts := make([]string, len(m))
	for i, s := range m {
		parts[i] = s.ID + "=" + strconv.Itoa(s.Weight)
	}
	return strings.Join(parts, ",")
}

// parseSynthServices reads "ID=WEIGHT,ID,…" (weight 1 by default).
func parseSynthServices(v string) (synthMix, error) {
	cat, err := catalogue.Load()
	if err != nil {
		return nil, err
	}
	var m synthMix
	seen := map[string]bool{}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, w, hasW := strings.Cut(part, "=")
		s := synthService{ID: strings.TrimSpace(id), Weight: 1}
		if hasW {
			if s.Weight, err = strconv.Atoi(strings.TrimSpace(w)); err != nil || s.Weight <= 0 || s.Weight > 1_000_000 {
				return nil, fmt.Errorf("%w: --services %q: the weight must be an integer 1…1000000", errUsage, part)
			}
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("%w: --services: %s twice", errUsage, s.ID)
		}
		seen[s.ID] = true
		if s.ID != gbdfl.ServiceID {
			svc, ok := cat.Service(s.ID)
			if !ok {
				return nil, fmt.Errorf("%w: --services: %q is neither %s nor a service of the catalogue", errUsage, s.ID, gbdfl.ServiceID)
			}
			if !svc.Gatewayed() {
				return nil, fmt.Errorf("%w: --services: %s is provided on paper only", errUsage, s.ID)
			}
			for _, ch := range []string{"portal", "con"} {
				if c, ok := svc.Channel(ch); ok && c.Electronic {
					s.Channel = ch
					break
				}
			}
			if s.Channel == "" {
				return nil, fmt.Errorf("%w: --services: %s has no electronic portal or ЦОН channel", errUsage, s.ID)
			}
			s.App = svc
		} else {
			s.Channel = "system"
		}
		m = append(m, s)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: --services: no service", errUsage)
	}
	return m, nil
}

type synthOptions struct {
	Mix   synthMix
	Count int
	Span  time.Duration
	Seed  uint64
	End   time.Time // the last record is received just before End
}

// synth generates the records: record(i) depends only on the options and i.
type synth struct {
	opts    synthOptions
	wheel   []int // mix index by weight
	persons []*gbdfl.Person
	// personXML[i] is the ГБД ФЛ adapter's own answer for persons[i], from <messageResult> to the
	// end of <persons>; notFound is its answer for an unknown ИИН.
	personXML []string
	notFound  string
	// Base64 DER of certificates shaped like the test НУЦ's: the sending system's, the
	// gateway's and a few citizens'.
	systemCert, gatewayCert string
	citizenCerts            []string
}

const (
	synthPersons       = 10_000
	synthNotFoundShare = 0.02  // ГБД ФЛ lookups of an ИИН it does not hold
	synthAuthShare     = 0.015 // refused at the sender step (wrong password): not keyed
	synthIINShare      = 0.01  // applications refused at the ИИН check
)

func newSynth(ctx context.Context, opts synthOptions) (*synth, error) {
	s := &synth{opts: opts}
	for i, m := range opts.Mix {
		for range m.Weight {
			s.wheel = append(s.wheel, i)
		}
	}
	s.persons = gbdfl.Population(int64(opts.Seed), synthPersons, opts.End)
	a := &gbdfl.Adapter{Registry: gbdfl.NewMemory(s.persons...), Now: func() time.Time { return opts.End }}
	answer := func(iin string) (string, error) {
		d := etree.NewElement("data")
		d.CreateElement("iin").SetText(iin)
		resp, err := a.Handle(ctx, &adapters.Request{ServiceID: gbdfl.ServiceID, SenderID: "smartbridge", Data: d})
		if err != nil {
			return "", err
		}
		doc := etree.NewDocument()
		doc.SetRoot(resp.Data)
		x, err := doc.WriteToString()
		if err != nil {
			return "", err
		}
		i, j := strings.Index(x, "<messageResult>"), strings.LastIndex(x, "</data>")
		if i < 0 || j < i {
			return "", fmt.Errorf("log synth: unexpected ГБД ФЛ answer %.200q", x)
		}
		return x[i:j], nil
	}
	s.personXML = make([]string, len(s.persons))
	for i, p := range s.persons {
		var err error
		if s.personXML[i], err = answer(p.IIN); err != nil {
			return nil, err
		}
	}
	var err error
	if s.notFound, err = answer("000000000000"); err != nil {
		return nil, err
	}
	// One key for every certificate: only their shape matters.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	cert := func(serial int64, subject pkix.Name, individual bool) (string, error) {
		der, err := synthCertificate(key, serial, subject, individual)
		return base64.StdEncoding.EncodeToString(der), err
	}
	org := func(cn, bin, o string) pkix.Name {
		return pkix.Name{CommonName: cn, SerialNumber: "BIN" + bin, Country: []string{"KZ"}, Organization: []string{o},
			OrganizationalUnit: []string{"BIN" + bin}}
	}
	if s.systemCert, err = cert(1, org("ДЕМО ИНФОРМАЦИОННАЯ СИСТЕМА", "160440007161", `НАО "ГОСУДАРСТВЕННАЯ КОРПОРАЦИЯ "ПРАВИТЕЛЬСТВО ДЛЯ ГРАЖДАН"`), false); err != nil {
		return nil, err
	}
	if s.gatewayCert, err = cert(2, org("ШЛЮЗ ЭЛЕКТРОННОГО ПРАВИТЕЛЬСТВА (SHEP TEST)", "000740000470", `АО "НАЦИОНАЛЬНЫЕ ИНФОРМАЦИОННЫЕ ТЕХНОЛОГИИ"`), false); err != nil {
		return nil, err
	}
	for i := range 16 {
		p := s.persons[i*len(s.persons)/16]
		c, err := cert(int64(10+i), pkix.Name{CommonName: p.Surname + " " + p.Name, SerialNumber: "IIN" + p.IIN, Country: []string{"KZ"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 4}, Value: p.Surname}}}, true)
		if err != nil {
			return nil, err
		}
		s.citizenCerts = append(s.citizenCerts, c)
	}
	return s, nil
}

// synthCertificate makes a certificate with the extensions of the test НУЦ's (key usage,
// extended key usage, AIA, CRL distribution points, policy), self-signed.
func synthCertificate(key *rsa.PrivateKey, serial int64, subject pkix.Name, individual bool) ([]byte, error) {
	now := time.Now()
	eku := []asn1.ObjectIdentifier{{1, 2, 398, 3, 3, 4, 1, 2}, {1, 2, 398, 3, 3, 4, 1, 2, 1}}
	policy := asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 1}
	if individual {
		eku, policy = []asn1.ObjectIdentifier{{1, 2, 398, 3, 3, 4, 1, 1}}, asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 3}
	}
	oid, err := x509.OIDFromASN1OID(policy)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).Lsh(big.NewInt(serial), 140), Subject: subject,
		Issuer:    pkix.Name{CommonName: "ҰКО SHEP (RSA TEST)", Country: []string{"KZ"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage:    eku,
		OCSPServer:            []string{"http://127.0.0.1:8080/pki/ocsp"},
		IssuingCertificateURL: []string{"http://127.0.0.1:8080/pki/ca.crt"},
		CRLDistributionPoints: []string{"http://127.0.0.1:8080/pki/crl/full.crl"},
		Policies:              []x509.OID{oid},
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
}

// rng is record i's generator.
func (s *synth) rng(i int) *mrand.Rand {
	return mrand.New(mrand.NewPCG(s.opts.Seed, uint64(i)*0x9E3779B97F4A7C15+1))
}

func uuid(r *mrand.Rand) string {
	var b [16]byte
	for k := 0; k < 16; k += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[k+j] = byte(v >> (8 * j))
		}
	}
	return ids.UUIDv4(b)
}

// random10 is the random part of a version 7 UUID.
func random10(r *mrand.Rand) (b [10]byte) {
	for k := range b {
		b[k] = byte(r.Uint32())
	}
	return b
}

// randomB64 is the base64 of n random bytes (a digest, a signature value).
func randomB64(r *mrand.Rand, n int) string {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(r.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)
}

var (
	xmlText   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	xmlAttr   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	durations = map[string][2]time.Duration{ // typical step times on this machine, lo…hi
		"parse": {60 * time.Microsecond, 200 * time.Microsecond}, "envelope": {20 * time.Microsecond, 70 * time.Microsecond},
		"sender": {20 * time.Microsecond, 80 * time.Microsecond}, "signature": {80 * time.Microsecond, 220 * time.Microsecond},
		"certificate": {time.Microsecond, 4 * time.Microsecond}, "channel": {300 * time.Nanosecond, 2 * time.Microsecond},
		"document": {100 * time.Microsecond, 300 * time.Microsecond}, "iin": {2 * time.Microsecond, 10 * time.Microsecond},
		"route": {2 * time.Microsecond, 12 * time.Microsecond}, "provider": {150 * time.Microsecond, 5 * time.Millisecond},
		"response": {800 * time.Microsecond, 1500 * time.Microsecond},
	}
)

// record is the i-th record, received at End - Span + (i + jitter)·Span/Count.
func (s *synth) record(i int) *msglog.Record {
	r := s.rng(i)
	step := s.opts.Span / time.Duration(s.opts.Count)
	received := s.opts.End.Add(-s.opts.Span + time.Duration(i)*step + time.Duration(r.Int64N(int64(max(step, 1))))).UTC()
	svc := s.opts.Mix[s.wheel[r.IntN(len(s.wheel))]]
	sender, password := "smartbridge", "123"
	if svc.App != nil {
		sender, password = svc.Channel, svc.Channel+"-password"
	}
	rec := &msglog.Record{
		Sender: sender, MessageID: uuid(r), SessionID: "{" + ids.UUIDv7(received, random10(r)) + "}", ServiceID: svc.ID, Channel: svc.Channel,
		SignerBIN: "160440007161", Received: received, Status: syncchannel.StatusSuccess, HTTPStatus: 200,
		SignerSubject: `OU=BIN160440007161,O=НАО \"ГОСУДАРСТВЕННАЯ КОРПОРАЦИЯ \"ПРАВИТЕЛЬСТВО ДЛЯ ГРАЖДАН\",C=KZ,SERIALNUMBER=BIN160440007161,CN=ДЕМО ИНФОРМАЦИОННАЯ СИСТЕМА`,
	}
	pi := r.IntN(len(s.persons))
	person := s.persons[pi]
	iin := person.IIN
	found := true
	if svc.App == nil && r.Float64() < synthNotFoundShare {
		iin, found = synthIIN(r), false
	}
	sent := received.Add(-time.Duration(r.Int64N(int64(20 * time.Millisecond))))
	var data string
	if svc.App == nil {
		data = `<data xmlns:cs="` + gbdfl.NS + `" xmlns:xsi="` + syncchannel.NSXSI + `" xsi:type="cs:Request"><messageId>` + rec.MessageID +
			`</messageId><messageDate>` + syncchannel.FormatDateTime(sent) + `</messageDate><senderCode>` + sender + `</senderCode><iin>` + iin + `</iin></data>`
	} else {
		data = `<data xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="` + syncchannel.NSXSI + `" xsi:type="xs:string">` +
			xmlText.Replace(s.application(r, svc, person, rec.MessageID, sent)) + `</data>`
	}
	rec.Request = []byte(s.envelope(r, "soapenv", s.systemCert, `<ns3:SendMessage xmlns:ns3="`+syncchannel.NSTypes+`"><request><requestInfo><messageId>`+rec.MessageID+
		`</messageId><serviceId>`+svc.ID+`</serviceId><messageDate>`+syncchannel.FormatDateTime(sent)+`</messageDate><sender><senderId>`+sender+
		`</senderId><password>`+password+`</password></sender></requestInfo><requestData>`+data+`</requestData></request></ns3:SendMessage>`))
	rec.RequestHash = sha256.Sum256(rec.Request)

	steps := []string{"parse", "envelope", "sender", "signature", "certificate"}
	if svc.App != nil {
		steps = append(steps, "channel", "document", "iin")
	}
	steps = append(steps, "route", "provider", "response")
	var refusal faults.Code
	var detail string
	switch x := r.Float64(); {
	case x < synthAuthShare:
		refusal, detail, steps = faults.AuthPassword, fmt.Sprintf(`AUTH_PASSWORD: senderId %q: participants: %s: wrong sender password`, sender, sender), steps[:3]
	case svc.App != nil && x < synthAuthShare+synthIINShare:
		other := s.persons[(pi+1)%len(s.persons)].IIN
		refusal, detail, steps = faults.IINMismatch, fmt.Sprintf("IIN_MISMATCH: applicant %s, certificate %s", person.IIN, other), steps[:8]
	}
	at := received
	for k, name := range steps {
		d := durations[name]
		st := msglog.Step{Name: name, Outcome: "ok", Duration: d[0] + time.Duration(r.Int64N(int64(d[1]-d[0])))}
		if refusal != "" && k == len(steps)-1 {
			st.Outcome, st.Detail = string(refusal), detail
			if refusal == faults.AuthPassword {
				st.Duration = 40*time.Millisecond + time.Duration(r.Int64N(int64(20*time.Millisecond))) // the password hash
			}
		}
		rec.Steps = append(rec.Steps, st)
		at = at.Add(st.Duration)
	}
	responded := at.Add(time.Duration(r.Int64N(int64(2 * time.Millisecond))))
	rec.Responded = responded
	switch {
	case refusal == faults.AuthPassword:
		rec.Sender, rec.MessageID, rec.Channel, rec.SignerBIN, rec.SignerSubject = "-", rec.SessionID, "", "", "" // not keyed
	case svc.App != nil:
		rec.IIN = person.IIN
	default:
		rec.IIN = iin
	}
	var body string
	if refusal != "" {
		rec.Status, rec.HTTPStatus = string(refusal), 500
		ent, _ := faults.Lookup(refusal)
		_, data, _ := strings.Cut(detail, ": ")
		body = `<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>` + xmlText.Replace(ent.Message) + `</faultstring><detail><ns2:` +
			syncchannel.FaultElement + ` xmlns:ns2="` + syncchannel.NSTypes + `"><errorCode>` + string(refusal) + `</errorCode><errorMessage>` +
			xmlText.Replace(ent.Message) + `</errorMessage><errorData>` + xmlText.Replace(data) + `</errorData><errorDate>` +
			syncchannel.FormatDateTime(responded) + `</errorDate><sessionId>` + rec.SessionID + `</sessionId></ns2:` + syncchannel.FaultElement + `></detail></SOAP-ENV:Fault>`
	} else {
		var out string
		if svc.App == nil {
			answer := s.notFound
			if found {
				answer = s.personXML[pi]
			}
			out = `<data xmlns:cs="` + gbdfl.NS + `" xmlns:xsi="` + syncchannel.NSXSI + `" xsi:type="cs:Response"><messageId>` + uuid(r) + `</messageId><messageDate>` +
				syncchannel.FormatDateTime(responded) + `</messageDate><requestId>` + rec.MessageID + `</requestId><sender><code>GBDFL</code></sender><receiver><code>` +
				sender + `</code></receiver>` + answer + `</data>`
		} else {
			out = s.applicationStatus(r, svc, i, responded)
		}
		body = `<ns2:SendMessageResponse xmlns:ns2="` + syncchannel.NSTypes + `"><response><responseInfo><messageId>` + uuid(r) + `</messageId><correlationId>` +
			rec.MessageID + `</correlationId><responseDate>` + syncchannel.FormatDateTime(responded) + `</responseDate><status><code>` + syncchannel.StatusSuccess +
			`</code><message>` + syncchannel.StatusSuccessMessage + `</message></status><sessionId>` + rec.SessionID + `</sessionId></responseInfo><responseData>` +
			out + `</responseData></response></ns2:SendMessageResponse>`
	}
	rec.Response = []byte(s.envelope(r, "SOAP-ENV", s.gatewayCert, body))
	return rec
}

// synthIIN is a 12-digit ИИН-shaped number that ГБД ФЛ does not hold.
func synthIIN(r *mrand.Rand) string { return fmt.Sprintf("99%010d", r.Int64N(1e10)) }

const (
	nsWSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
)

// envelope is a SOAP 1.1 envelope around body, WS-Security-signed (in shape) with cert, as
// signing.SignWSSE writes it.
func (s *synth) envelope(r *mrand.Rand, p, cert, body string) string {
	id := "id-" + uuid(r)
	var b strings.Builder
	b.Grow(len(body) + len(cert) + 2200)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<" + p + `:Envelope xmlns:` + p + `="http://schemas.xmlsoap.org/soap/envelope/"><` + p +
		`:Header><wsse:Security xmlns:wsse="` + nsWSSE + `" xmlns:wsu="` + nsWSU + `" ` + p + `:mustUnderstand="1"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></ds:SignatureMethod>` +
		`<ds:Reference URI="#` + id + `"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:Transform></ds:Transforms>` +
		`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod><ds:DigestValue>` + randomB64(r, 32) + `</ds:DigestValue></ds:Reference></ds:SignedInfo>` +
		`<ds:SignatureValue>` + randomB64(r, 256) + `</ds:SignatureValue><ds:KeyInfo><wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary" ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3">` +
		cert + `</wsse:KeyIdentifier></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security></` + p + `:Header><` + p + `:Body xmlns:wsu="` + nsWSU + `" wsu:Id="` + id + `">`)
	b.WriteString(body)
	b.WriteString(`</` + p + `:Body></` + p + `:Envelope>`)
	return b.String()
}

// application is the applicant's signed application document (NCALayer's enveloped layout).
func (s *synth) application(r *mrand.Rand, svc synthService, p *gbdfl.Person, messageID string, at time.Time) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<app:application xmlns:app="urn:shep:application:1.0"><app:serviceId>` + svc.ID +
		`</app:serviceId><app:channel>` + svc.Channel + `</app:channel><app:submitted>` + at.Format(time.RFC3339) + `</app:submitted><app:applicant><app:iin>` + p.IIN +
		`</app:iin><app:surname>` + xmlText.Replace(p.Surname) + `</app:surname><app:name>` + xmlText.Replace(p.Name) + `</app:name>`)
	if p.Patronymic != "" {
		b.WriteString(`<app:patronymic>` + xmlText.Replace(p.Patronymic) + `</app:patronymic>`)
	}
	b.WriteString(`</app:applicant><app:fields><app:field name="phone">+7 70` + strconv.Itoa(1000000+r.IntN(9000000)) + `</app:field><app:field name="address">` +
		xmlText.Replace(p.RegAddress) + `</app:field><app:field name="request">` + messageID + `</app:field></app:fields>` +
		`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></ds:CanonicalizationMethod>` +
		`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></ds:SignatureMethod><ds:Reference URI=""><ds:Transforms>` +
		`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform><ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"></ds:Transform>` +
		`</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod><ds:DigestValue>` + randomB64(r, 32) +
		`</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>` + randomB64(r, 256) + `</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` +
		s.citizenCerts[r.IntN(len(s.citizenCerts))] + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature></app:application>`)
	return b.String()
}

// applicationStatus is the provider system's answer: the application registered.
func (s *synth) applicationStatus(r *mrand.Rand, svc synthService, i int, at time.Time) string {
	system := svc.App.Target.Adapter
	reg := at.Add(-time.Duration(r.Int64N(int64(time.Millisecond))))
	when := syncchannel.FormatDateTime(reg)
	return `<data xmlns:c="urn:shep:case:1.0" xmlns:xsi="` + syncchannel.NSXSI + `" xsi:type="c:ApplicationStatus"><c:applicationNumber>` +
		fmt.Sprintf("%s-%s-%06d", svc.ID, at.Format("20060102"), i%1_000_000) + `</c:applicationNumber><c:serviceId>` + svc.ID + `</c:serviceId><c:serviceName>` +
		xmlText.Replace(svc.App.NameRU) + `</c:serviceName><c:provider>` + xmlText.Replace(svc.App.Provider.NameRU) + `</c:provider><c:system>` + system +
		`</c:system><c:status code="received" nameKz="түскен">поступившие</c:status><c:registered>` + when + `</c:registered><c:deadline>` +
		syncchannel.FormatDateTime(reg.Add(40*time.Minute)) + `</c:deadline><c:timeline><c:event action="register" actor="` + xmlAttr.Replace(system) +
		`" at="` + when + `" status="received">заявление зарегистрировано</c:event></c:timeline></data>`
}
