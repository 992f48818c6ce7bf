//! A throwaway PostgreSQL cluster for tests (feature `testing`).
//!
//! One cluster per test binary, started on first use; one fresh database per test
//! ([`fresh_db`], [`fresh_store`]), so tests stay isolated and run in parallel.
//!
//! Where the cluster comes from:
//! - `COFFER_TEST_PG_URL` set: that server (a `postgres://` URL or a `key=value`
//!   string naming a role that may `CREATE DATABASE`). Each test's database is
//!   dropped when the test ends.
//! - otherwise: `initdb` into a temp dir and `pg_ctl start` on a free port of
//!   127.0.0.1, with `fsync=on` (the store promises durability; tests run it the
//!   way production does). The server binaries are looked for in `PATH`, then in
//!   `/usr/lib/postgresql/*/bin` (Debian's layout), newest version first. initdb
//!   and postgres refuse to run as root, so as root they run as the `postgres`
//!   user if there is one, else as `nobody`, through `runuser` (or `su`).
//!   A watchdog process stops the server (`pg_ctl stop -m immediate`) and removes
//!   the temp dir once this process exits, however it exits: it waits for the end
//!   of a pipe that only this process holds open.
//!
//! Missing binaries are a test failure with a message saying what to install,
//! never a silent pass.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::PostgresStore;

/// The environment variable naming an existing server to test against.
pub const URL_VAR: &str = "COFFER_TEST_PG_URL";

/// A database of its own for one test.
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// The database's connection string, for [`PostgresStore::connect`] or a raw client.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new store (its own connection pool) on this database.
    pub fn store(&self) -> PostgresStore {
        PostgresStore::connect(&self.url)
            .unwrap_or_else(|e| panic!("connecting a store to test database {}: {e}", self.name))
    }

    /// A raw client on this database, as a superuser on a throwaway cluster (tests
    /// use it to tamper with rows behind the store's back).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to test database {}: {e}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // A throwaway cluster goes away whole; a shared server is tidied database by
        // database. Best effort: a failure here must not mask the test's own result.
        if let Ok(cluster) = cluster() {
            if cluster.shared {
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
                let _ = cluster.admin(|c| c.batch_execute(&sql));
            }
        }
    }
}

/// A fresh, migrated store on its own database. Fields drop in order: the store's
/// connections close before the database is dropped.
pub struct FreshStore {
    pub store: PostgresStore,
    pub db: TestDb,
}

impl std::ops::Deref for FreshStore {
    type Target = PostgresStore;
    fn deref(&self) -> &PostgresStore {
        &self.store
    }
}

/// A new database on the test cluster (started on first use), with Coffer's schema
/// but no data.
pub fn fresh_db() -> TestDb {
    new_db(true)
}

/// A new database without even Coffer's schema, to test migrations.
pub fn empty_db() -> TestDb {
    new_db(false)
}

fn new_db(with_schema: bool) -> TestDb {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let cluster = cluster().unwrap_or_else(|e| panic!("{e}"));
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("t_{}_{n}", std::process::id());
    let sql = match &cluster.template {
        Some(template) if with_schema => {
            format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
        }
        _ => format!("CREATE DATABASE \"{name}\""),
    };
    cluster.admin(|c| c.batch_execute(&sql)).unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let url = cluster.url_for(&name);
    TestDb { name, url }
}

/// A store on a new, empty database.
pub fn fresh_store() -> FreshStore {
    let db = fresh_db();
    FreshStore { store: db.store(), db }
}

struct Cluster {
    /// Connection string without a database name.
    base: String,
    /// True for a server named by `COFFER_TEST_PG_URL`: not ours to throw away.
    shared: bool,
    /// On a throwaway cluster, a database already migrated, that test databases
    /// are copied from: copying is as cheap as creating an empty one, and the
    /// migrations then run once per test binary instead of once per test.
    template: Option<String>,
    admin: Mutex<Option<postgres::Client>>,
    /// Held open for the life of the process; its closing tells the watchdog to
    /// stop the server.
    _watchdog: Option<Mutex<ChildStdin>>,
}

impl Cluster {
    fn url_for(&self, db: &str) -> String {
        with_dbname(&self.base, db)
    }

    /// Runs `f` on the admin connection, reconnecting if it was lost.
    fn admin<T>(&self, f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>) -> Result<T, String> {
        let mut guard = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        if !matches!(guard.as_ref(), Some(c) if !c.is_closed()) {
            let client = postgres::Client::connect(&self.base, postgres::NoTls)
                .map_err(|e| format!("connecting to the test cluster ({}): {e}", self.base))?;
            *guard = Some(client);
        }
        match guard.as_mut() {
            Some(client) => f(client).map_err(|e| match e.as_db_error() {
                Some(db) => db.message().to_owned(),
                None => e.to_string(),
            }),
            None => unreachable!("connected above"),
        }
    }
}

fn cluster() -> Result<&'static Cluster, String> {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| match std::env::var(URL_VAR) {
            Ok(url) if !url.trim().is_empty() => {
                Ok(Cluster { base: url, shared: true, template: None, admin: Mutex::new(None), _watchdog: None })
            }
            _ => start_local(),
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// `url` with its database replaced by `db`: the path of a URL, or a `dbname=` key
/// appended to a `key=value` string (a later key wins).
fn with_dbname(url: &str, db: &str) -> String {
    for scheme in ["postgresql://", "postgres://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let (rest, query) = match rest.find('?') {
                Some(q) => rest.split_at(q),
                None => (rest, ""),
            };
            let authority = rest.split('/').next().unwrap_or("");
            return format!("{scheme}{authority}/{db}{query}");
        }
    }
    format!("{url} dbname={db}")
}

fn start_local() -> Result<Cluster, String> {
    let bin = find_bin_dir().ok_or_else(|| {
        format!(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in PATH or \
             /usr/lib/postgresql/*/bin, so the PostgreSQL tests cannot run. Install them \
             (Debian/Ubuntu: `apt-get install postgresql`; .ci/run does this) or set {URL_VAR} \
             to a server where this user may CREATE DATABASE."
        )
    })?;
    let user = run_as()?;
    let dir = make_dir(user.as_ref())?;
    let watchdog = spawn_watchdog(&dir, &bin, user.as_ref())?;
    let data = dir.join("data");
    let initdb = bin.join("initdb");
    let args = [
        "-D".into(),
        path_arg(&data),
        "--auth=trust".into(),
        "-U".into(),
        "postgres".into(),
        "-E".into(),
        "UTF8".into(),
        "--locale=C".into(),
        // The cluster is thrown away: syncing initdb's files buys nothing. The
        // server itself runs with fsync=on.
        "--no-sync".into(),
    ];
    run(as_user(user.as_ref(), &initdb, &args), "initdb")?;
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        let opts =
            format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200", dir.display());
        let args = [
            "-D".into(),
            path_arg(&data),
            "-l".into(),
            path_arg(&dir.join("postgres.log")),
            "-w".into(),
            "-t".into(),
            "60".into(),
            "-o".into(),
            opts,
            "start".into(),
        ];
        match run(as_user(user.as_ref(), &bin.join("pg_ctl"), &args), "pg_ctl start") {
            Ok(()) => {
                let base = format!("host=127.0.0.1 port={port} user=postgres");
                let mut cluster = Cluster {
                    base,
                    shared: false,
                    template: None,
                    admin: Mutex::new(None),
                    _watchdog: Some(Mutex::new(watchdog)),
                };
                wait_ready(&cluster)?;
                make_template(&mut cluster)?;
                return Ok(cluster);
            }
            // Most likely another process took the port between our probe and the
            // server's bind: try another.
            Err(e) => last_error = format!("{e}\n{}", log_tail(&dir.join("postgres.log"))),
        }
    }
    Err(format!("the test PostgreSQL cluster in {} did not start: {last_error}", dir.display()))
}

fn wait_ready(cluster: &Cluster) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match cluster.admin(|c| c.batch_execute("SELECT 1")) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("the test PostgreSQL cluster never answered: {e}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Creates and migrates the template that test databases are copied from. The
/// store is dropped before any copy: a template must have no open connections.
fn make_template(cluster: &mut Cluster) -> Result<(), String> {
    let name = "coffer_template";
    cluster.admin(|c| c.batch_execute(&format!("CREATE DATABASE \"{name}\"")))?;
    let store = PostgresStore::connect(&cluster.url_for(name))
        .map_err(|e| format!("migrating the test template database: {e}"))?;
    drop(store);
    cluster.template = Some(name.to_owned());
    Ok(())
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: from PATH, else the
/// newest `/usr/lib/postgresql/<version>/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let complete = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file());
    let on_path = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    if let Some(dir) = on_path.into_iter().find(|d| complete(d)) {
        // Debian links the binaries into PATH; the real directory is the one the
        // link points into, which also holds pg_ctl's companions.
        let real = std::fs::canonicalize(dir.join("initdb"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|d| complete(d));
        return Some(real.unwrap_or(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| complete(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// The user to run the server as: none when we are not root; `postgres` if it
/// exists, else `nobody`, when we are.
fn run_as() -> Result<Option<User>, String> {
    let euid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .or_else(|_| id(&["-u"]).map_err(std::io::Error::other))
        .map_err(|e| format!("cannot tell whether we run as root: {e}"))?;
    if euid != 0 {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let (Ok(uid), Ok(gid)) = (id(&["-u", name]), id(&["-g", name])) {
            return Ok(Some(User { name: name.into(), uid, gid }));
        }
    }
    Err("running as root, and neither a `postgres` nor a `nobody` user exists to run \
         the test PostgreSQL cluster (initdb and postgres refuse to run as root)"
        .into())
}

struct User {
    name: String,
    uid: u32,
    gid: u32,
}

fn id(args: &[&str]) -> Result<u32, String> {
    let out = Command::new("id").args(args).stderr(Stdio::null()).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("id {args:?} failed"));
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|e| format!("id {args:?}: {e}"))
}

/// `program args` as `user`: `runuser -u user --` where it exists, else `su`.
fn as_user(user: Option<&User>, program: &Path, args: &[String]) -> Command {
    let Some(user) = user else {
        let mut cmd = Command::new(program);
        cmd.args(args);
        return cmd;
    };
    if Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists() {
        let mut cmd = Command::new("runuser");
        // The test's working directory may be closed to the server's user.
        cmd.args(["-u", &user.name, "--"]).arg(program).args(args).current_dir("/");
        return cmd;
    }
    let line = std::iter::once(path_arg(program))
        .chain(args.iter().cloned())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new("su");
    cmd.args(["-s", "/bin/sh", &user.name, "-c", &line]).current_dir("/");
    cmd
}

fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

/// Runs a command to completion; its output goes into the error if it fails.
fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what} could not be run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// A new temp dir, owned by the server's user.
fn make_dir(user: Option<&User>) -> Result<PathBuf, String> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("coffer-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if let Some(user) = user {
        std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid))
            .map_err(|e| format!("handing {} to {}: {e}", dir.display(), user.name))?;
    }
    Ok(dir)
}

/// A process that waits until this one exits (its stdin reaches end of file when
/// the last holder of the pipe, this process, is gone), then stops the server and
/// removes `dir`. It ignores the signals a terminal sends to the whole group, so an
/// interrupted test run is still cleaned up.
fn spawn_watchdog(dir: &Path, bin: &Path, user: Option<&User>) -> Result<ChildStdin, String> {
    let stop = as_user(
        user,
        &bin.join("pg_ctl"),
        &["-D".into(), path_arg(&dir.join("data")), "-m".into(), "immediate".into(), "stop".into()],
    );
    let script = r#"trap '' INT TERM HUP
cat >/dev/null
dir=$1
shift
"$@" >/dev/null 2>&1
rm -rf "$dir""#;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script, "coffer-pg-watchdog"])
        .arg(dir)
        .arg(stop.get_program())
        .args(stop.get_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().map_err(|e| format!("starting the test cluster's watchdog: {e}"))?;
    child.stdin.take().ok_or_else(|| "the watchdog has no stdin".to_owned())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    let _ = std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(20);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn a_url_gets_its_database_replaced() {
        assert_eq!(
            with_dbname("postgres://u:p@h:5432/base?sslmode=disable", "t_1"),
            "postgres://u:p@h:5432/t_1?sslmode=disable"
        );
        assert_eq!(with_dbname("postgresql://h", "t_1"), "postgresql://h/t_1");
    }

    #[test]
    fn a_key_value_string_gets_a_dbname_appended() {
        assert_eq!(with_dbname("host=h user=u dbname=base", "t_1"), "host=h user=u dbname=base dbname=t_1");
    }
}
