//! The actix-web application: routes, CORS, compression, request logging.

mod auth;
mod graphql;
mod health;

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::{App, HttpServer, dev::Server, http::header, middleware, web};
use sea_orm::DatabaseConnection;

use crate::{config::ServeSettings, graphql::AppSchema};

/// What every handler can reach.
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
}

fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .allowed_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(86_400);
    if origins.iter().any(|o| o == "*") {
        // Any origin may read; credentials are never sent cross-origin.
        cors.allow_any_origin().send_wildcard()
    } else {
        origins
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin))
    }
}

/// Builds the server on `listener`; await the result to run it. Tests call this too.
pub fn server(
    listener: TcpListener,
    db: DatabaseConnection,
    settings: &ServeSettings,
) -> std::io::Result<Server> {
    let schema = crate::graphql::build_schema(db.clone(), settings);
    let state = web::Data::new(AppState { schema, db });
    let origins = settings.cors_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(middleware::Compress::default())
            .wrap(cors(&origins))
            .wrap(middleware::Logger::new("%r %s %b %Dms").log_target("content_api::http"))
            .service(
                web::resource("/graphql")
                    .route(web::post().to(graphql::post))
                    .route(web::get().to(graphql::get)),
            )
            .route("/schema.graphql", web::get().to(graphql::schema_sdl))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
