// Command testcluster runs a throw-away Kubernetes control plane for aimsync's
// integration tests: an embedded single-member etcd and the real kube-apiserver
// (k8s.io/kubernetes/cmd/kube-apiserver/app), both bound to 127.0.0.1.
//
// It writes everything a client needs into --state-dir:
//
//	kubeconfig               admin user (group system:masters), token auth, CA embedded
//	kubeconfig-unprivileged  user without any RBAC binding (for least-privilege tests)
//	info.json                written once /readyz answers 200 (the readiness signal)
//	pki/, etcd/, tokens.csv  certificates, etcd data, static token file
//
// There is no controller manager, scheduler or kubelet. SIGTERM/SIGINT stop the
// apiserver first and etcd second.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // time zone data, as in the upstream kube-apiserver main

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream
	"k8s.io/component-base/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

const (
	adminUser        = "aimsync-admin"
	unprivilegedUser = "aimsync-unprivileged"
	serviceCIDR      = "10.0.0.0/24"
	kubernetesSvcIP  = "10.0.0.1"
	etcdStartTimeout = 60 * time.Second
	readyTimeout     = 120 * time.Second
)

type options struct {
	stateDir              string
	port                  int
	verbosity             int
	parentPID             int
	removeStateWhenOrphan bool
	apiserverArgs         []string
}

// parentGone is set once the --exit-with-parent process has disappeared.
var parentGone atomic.Bool

// Info is written to <state-dir>/info.json once the apiserver reports ready.
type Info struct {
	PID                    int     `json:"pid"`
	Server                 string  `json:"server"`
	Port                   int     `json:"port"`
	EtcdURL                string  `json:"etcdURL"`
	Kubeconfig             string  `json:"kubeconfig"`
	UnprivilegedKubeconfig string  `json:"unprivilegedKubeconfig"`
	CAFile                 string  `json:"caFile"`
	KubernetesVersion      string  `json:"kubernetesVersion"`
	StartupSeconds         float64 `json:"startupSeconds"`
}

func main() {
	o, err := parseOptions()
	if err != nil {
		logf("%v", err)
		os.Exit(2)
	}
	code := run(o)
	if parentGone.Load() && o.removeStateWhenOrphan {
		// Nobody is left to clean up the (temporary) state directory.
		_ = os.RemoveAll(o.stateDir)
	}
	os.Exit(code)
}

func parseOptions() (options, error) {
	var o options
	fs := flag.NewFlagSet("testcluster", flag.ContinueOnError)
	fs.StringVar(&o.stateDir, "state-dir", "", "directory for etcd data, certificates, token file, kubeconfigs and info.json (required)")
	fs.IntVar(&o.port, "port", 0, "kube-apiserver secure port on 127.0.0.1 (0 = pick a free port)")
	fs.IntVar(&o.verbosity, "v", 0, "kube-apiserver log verbosity")
	fs.IntVar(&o.parentPID, "exit-with-parent", 0, "shut down when the process with this PID is gone (0 = off)")
	fs.BoolVar(&o.removeStateWhenOrphan, "remove-state-dir-if-orphaned", false, "with --exit-with-parent: delete --state-dir after shutting down because the parent is gone")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: testcluster --state-dir DIR [--port N] [--v N] [--exit-with-parent PID [--remove-state-dir-if-orphaned]] [-- extra kube-apiserver flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		return o, err
	}
	if o.stateDir == "" {
		fs.Usage()
		return o, errors.New("--state-dir is required")
	}
	o.apiserverArgs = fs.Args()
	abs, err := filepath.Abs(o.stateDir)
	if err != nil {
		return o, err
	}
	o.stateDir = abs
	return o, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testcluster: "+format+"\n", args...)
}

func run(o options) int {
	started := time.Now()
	// Our own handler for the phase before kube-apiserver installs its own
	// (Go delivers a signal to every registered channel).
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	if o.parentPID > 0 {
		go watchParent(o.parentPID)
	}

	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		logf("%v", err)
		return 1
	}
	_ = os.Remove(filepath.Join(o.stateDir, "info.json"))

	etcdServer, etcdURL, err := startEtcd(o.stateDir, signals)
	if err != nil {
		logf("etcd: %v", err)
		return 1
	}
	defer func() {
		etcdServer.Close()
		logf("etcd stopped")
	}()

	port := o.port
	if port == 0 {
		if port, err = freePort(); err != nil {
			logf("%v", err)
			return 1
		}
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	files, err := writeCredentials(o.stateDir, server)
	if err != nil {
		logf("credentials: %v", err)
		return 1
	}

	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The endpoints reconciler would try to publish 127.0.0.1, which Endpoints validation
		// rejects as loopback; nothing in the tests needs the "kubernetes" Service endpoints.
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(o.stateDir, "pki"),
		"--tls-cert-file=" + files.servingCert,
		"--tls-private-key-file=" + files.servingKey,
		"--client-ca-file=" + files.caCert,
		"--token-auth-file=" + files.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=" + server,
		"--service-account-key-file=" + files.saPublicKey,
		"--service-account-signing-key-file=" + files.saPrivateKey,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=" + strconv.Itoa(o.verbosity),
	}
	args = append(args, o.apiserverArgs...)

	command := app.NewAPIServerCommand() // installs kube-apiserver's SIGTERM/SIGINT handling
	command.SetArgs(args)
	// A signal that arrived before kube-apiserver's handler existed was only seen by ours.
	select {
	case sig := <-signals:
		logf("received %v before kube-apiserver started", sig)
		return 0
	default:
	}
	exited := make(chan int, 1)
	go func() { exited <- cli.Run(command) }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := waitReady(ctx, server, files); err != nil {
			logf("readiness: %v", err)
			return
		}
		info := Info{
			PID:                    os.Getpid(),
			Server:                 server,
			Port:                   port,
			EtcdURL:                etcdURL,
			Kubeconfig:             files.kubeconfig,
			UnprivilegedKubeconfig: files.unprivilegedKubeconfig,
			CAFile:                 files.caCert,
			KubernetesVersion:      version.Get().GitVersion,
			StartupSeconds:         time.Since(started).Seconds(),
		}
		if err := writeJSONAtomic(filepath.Join(o.stateDir, "info.json"), info); err != nil {
			logf("info.json: %v", err)
			return
		}
		logf("ready: server=%s kubeconfig=%s (%.1fs)", server, files.kubeconfig, info.StartupSeconds)
	}()

	code := <-exited
	cancel()
	_ = os.Remove(filepath.Join(o.stateDir, "info.json"))
	logf("kube-apiserver exited with code %d", code)
	return code
}

func watchParent(pid int) {
	for {
		time.Sleep(time.Second)
		// Signal 0 checks for existence; a reparented orphan also sees its parent change.
		if err := syscall.Kill(pid, 0); err != nil || os.Getppid() != pid {
			logf("parent process %d is gone, shutting down", pid)
			parentGone.Store(true)
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			return
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startEtcd(stateDir string, signals <-chan os.Signal) (*embed.Etcd, string, error) {
	clientPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPort))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort))}

	cfg := embed.NewConfig()
	cfg.Name = "testcluster"
	cfg.Dir = filepath.Join(stateDir, "etcd")
	// Test-only single member: skipping fsync is what k8s' own etcd test server does.
	cfg.UnsafeNoFsync = true
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{filepath.Join(stateDir, "etcd.log")}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
		logf("etcd ready at %s", clientURL.String())
		return e, clientURL.String(), nil
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case sig := <-signals:
		e.Close()
		return nil, "", fmt.Errorf("received %v while starting", sig)
	case <-time.After(etcdStartTimeout):
		e.Server.Stop()
		e.Close()
		return nil, "", fmt.Errorf("not ready after %v", etcdStartTimeout)
	}
}

type credentialFiles struct {
	caCert                 string
	servingCert            string
	servingKey             string
	saPublicKey            string
	saPrivateKey           string
	tokenFile              string
	adminToken             string
	kubeconfig             string
	unprivilegedKubeconfig string
}

func writeCredentials(stateDir, server string) (credentialFiles, error) {
	pki := filepath.Join(stateDir, "pki")
	f := credentialFiles{
		caCert:                 filepath.Join(pki, "ca.crt"),
		servingCert:            filepath.Join(pki, "apiserver.crt"),
		servingKey:             filepath.Join(pki, "apiserver.key"),
		saPublicKey:            filepath.Join(pki, "sa.pub"),
		saPrivateKey:           filepath.Join(pki, "sa.key"),
		tokenFile:              filepath.Join(stateDir, "tokens.csv"),
		kubeconfig:             filepath.Join(stateDir, "kubeconfig"),
		unprivilegedKubeconfig: filepath.Join(stateDir, "kubeconfig-unprivileged"),
	}
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return f, err
	}

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "aimsync-testcluster-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return f, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return f, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	servingKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	servingTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(kubernetesSvcIP)},
	}
	servingDER, err := x509.CreateCertificate(rand.Reader, servingTemplate, caCert, &servingKey.PublicKey, caKey)
	if err != nil {
		return f, err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	saPublicDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return f, err
	}

	if err := os.WriteFile(f.caCert, caPEM, 0o600); err != nil {
		return f, err
	}
	if err := os.WriteFile(f.servingCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: servingDER}), 0o600); err != nil {
		return f, err
	}
	if err := writeECKey(f.servingKey, servingKey); err != nil {
		return f, err
	}
	if err := writeECKey(f.saPrivateKey, saKey); err != nil {
		return f, err
	}
	if err := os.WriteFile(f.saPublicKey, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPublicDER}), 0o600); err != nil {
		return f, err
	}

	adminToken, err := randomToken()
	if err != nil {
		return f, err
	}
	unprivilegedToken, err := randomToken()
	if err != nil {
		return f, err
	}
	f.adminToken = adminToken
	// Static token file format: token,user,uid,"group1,group2".
	tokens := fmt.Sprintf("%s,%s,%s-uid,\"system:masters\"\n%s,%s,%s-uid\n",
		adminToken, adminUser, adminUser, unprivilegedToken, unprivilegedUser, unprivilegedUser)
	if err := os.WriteFile(f.tokenFile, []byte(tokens), 0o600); err != nil {
		return f, err
	}
	if err := writeKubeconfig(f.kubeconfig, server, caPEM, adminUser, adminToken); err != nil {
		return f, err
	}
	if err := writeKubeconfig(f.unprivilegedKubeconfig, server, caPEM, unprivilegedUser, unprivilegedToken); err != nil {
		return f, err
	}
	return f, nil
}

func writeECKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func writeKubeconfig(path, server string, caPEM []byte, user, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testcluster"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["testcluster"] = &clientcmdapi.Context{Cluster: "testcluster", AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = "testcluster"
	return clientcmd.WriteToFile(*cfg, path)
}

func waitReady(ctx context.Context, server string, files credentialFiles) error {
	caPEM, err := os.ReadFile(files.caCert)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+files.adminToken)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("/readyz not 200 after %v", readyTimeout)
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
