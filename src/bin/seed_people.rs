//! Fills a portal with 100,000 employees across 500 departments and 200 workgroups, to
//! try the Employees list and the company structure at scale. Needs DATABASE_URL
//! (`scripts/seed` sets it to the development database). Usage: seed_people [address]

use intranet::people::seed::{FULL, seed};
use intranet::server::config::DEFAULT_DATABASE_POOL_SIZE;
use intranet::startup;

const PASSWORD: &str = "violet-harbor-42";

#[tokio::main]
async fn main() -> Result<(), String> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL (scripts/seed does)")?;
    let slug = std::env::args().nth(1).unwrap_or_else(|| "bigco".into());
    let admin = format!("admin@{slug}.test");
    let pool = startup::connect_and_migrate(&database_url, DEFAULT_DATABASE_POOL_SIZE).await?;
    let started = std::time::Instant::now();
    if seed(&pool, &slug, &admin, PASSWORD, &FULL).await? {
        println!("Seeded /p/{slug} in {:.1} s.", started.elapsed().as_secs_f64());
    } else {
        println!("/p/{slug} exists already; left as it is.");
    }
    println!("Log in as {admin} with the password {PASSWORD}.");
    Ok(())
}
