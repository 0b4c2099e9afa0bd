/**
 * REST resources (RESTEasy Reactive) and the one place that maps failures to HTTP statuses.
 */
package dev.sinewich.serve.api.rest;
