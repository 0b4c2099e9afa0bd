package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.api.Async;
import dev.sinewich.serve.api.Observed;
import dev.sinewich.serve.api.rest.Answered;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.Context;
import dev.sinewich.serve.api.UnsupportedMediaTypeException;
import dev.sinewich.serve.imaging.DecodedImage;
import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.imaging.ImageTooLargeException;
import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.Accepted;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.PredictionRequest;
import dev.sinewich.serve.serving.Predictor;
import dev.sinewich.serve.serving.ServingConfig;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Set;
import java.util.function.Supplier;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * {@code POST /v1/models/{model}/predict}: one image file in, one or several tasks run on it in one
 * forward pass, the answer in the requested {@link OutputFormat}. The body is the PNG or JPEG file
 * itself ({@code image/png}, {@code image/jpeg}) or a {@code multipart/form-data} upload with a
 * file part named {@code image}; any other body is refused with 415. The request reads as a
 * straight line: options → the shared {@link Predictor} (model, tasks, decode, schedule) → encode. Decoding and encoding run on worker
 * threads, never on the event loop or the inference workers.
 */
@Path("/v1/models/{model}/predict")
public class PredictResource {

    /** The multipart part that holds the image file. */
    static final String PART = "image";

    /** What the endpoint reads, for 415 messages. */
    static final String ACCEPTED = "image/png, image/jpeg, or multipart/form-data with a file part named '"
            + PART + "'";

    private static final String API = "rest_native";

    private final InferenceService inference;
    private final Predictor predictor;
    private final ServerMetrics metrics;
    private final long maxImageBytes;

    /**
     * Creates the resource.
     *
     * @param inference the scheduler's owner (the memory budget)
     * @param predictor the way in for inference requests
     * @param metrics the meters
     * @param config the server settings (image file size limit)
     */
    public PredictResource(InferenceService inference, Predictor predictor, ServerMetrics metrics,
            ServingConfig config) {
        this.inference = inference;
        this.predictor = predictor;
        this.metrics = metrics;
        this.maxImageBytes = config.limits().maxImageBytes().asLongValue();
    }

    /**
     * Predicts from a raw PNG or JPEG body. The file's own bytes decide its format.
     *
     * @param model the model name
     * @param query the tasks, format, include and timeout parameters
     * @param headers the request headers ({@code Accept})
     * @param uri the request URI (every query parameter must be known)
     * @param body the image file
     * @param routing the HTTP exchange (its memory lease is given back once the answer is written)
     * @return the answer once the forward pass is done
     */
    @POST
    @Consumes({"image/png", "image/jpeg"})
    @Blocking
    public Uni<Response> predict(@RestPath String model, @BeanParam PredictQuery query, HttpHeaders headers,
            UriInfo uri, byte[] body, @Context RoutingContext routing) {
        return predict(model, query, uri, headers, routing, () -> body);
    }

    /**
     * Predicts from a multipart upload whose file part {@code image} is the PNG or JPEG file.
     *
     * @param model the model name
     * @param query the tasks, format, include and timeout parameters
     * @param headers the request headers ({@code Accept})
     * @param uri the request URI (every query parameter must be known)
     * @param image the uploaded file, or {@code null} when the part is missing
     * @param routing the HTTP exchange (its memory lease is given back once the answer is written)
     * @return the answer once the forward pass is done
     */
    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Blocking
    public Uni<Response> predictUpload(@RestPath String model, @BeanParam PredictQuery query, HttpHeaders headers,
            UriInfo uri, @RestForm(PART) FileUpload image, @Context RoutingContext routing) {
        return predict(model, query, uri, headers, routing, () -> read(image));
    }

    /**
     * Refuses every other body, or one without a {@code Content-Type}, with 415 and the accepted types.
     *
     * @param model the model name
     * @param headers the request headers ({@code Content-Type})
     * @return a failed Uni
     */
    @POST
    @Consumes(MediaType.WILDCARD)
    public Uni<Response> unsupported(@RestPath String model, HttpHeaders headers) {
        return Observed.call(metrics, inference.budget(), API, call -> {
            throw unsupported(headers.getHeaderString(HttpHeaders.CONTENT_TYPE));
        });
    }

    private static UnsupportedMediaTypeException unsupported(String type) {
        return new UnsupportedMediaTypeException((type == null || type.isBlank()
                ? "the request has no Content-Type" : "Content-Type '" + type + "' is not accepted")
                + "; send " + ACCEPTED);
    }

    private Uni<Response> predict(String modelName, PredictQuery query, UriInfo uri, HttpHeaders headers,
            RoutingContext routing, Supplier<byte[]> body) {
        return Observed.call(metrics, inference.budget(), API, Answered.on(routing), call -> {
            String type = headers.getHeaderString(HttpHeaders.CONTENT_TYPE);
            if (type == null || type.isBlank()) {
                throw unsupported(type); // Quarkus REST routes a body without a type to the raw-image method
            }
            PredictOptions options = PredictOptions.parse(query, uri.getQueryParameters().keySet(),
                    headers.getAcceptableMediaTypes());
            call.lease().outputsAsText(options.format() == OutputFormat.JSON && options.includeData());
            Accepted accepted = predictor.submit(new PredictionRequest(modelName, options.tasks(), Set.of(),
                    options.timeout(), limits -> image(body.get(), limits), options::check), call);
            return Async.uni(accepted.result()).map(result -> PredictionResponses.of(new Prediction(
                    accepted.config(), accepted.tasks(), options, accepted.height(), accepted.width(), result)));
        });
    }

    private static ImageBatch image(byte[] file, ImageLimits limits) {
        if (file == null || file.length == 0) {
            throw new InvalidInputException("the request body is empty; send one PNG or JPEG file as " + ACCEPTED);
        }
        DecodedImage image = ImageDecoder.decode(file, limits);
        return new ImageBatch(1, image.height(), image.width(), image.rgb());
    }

    private byte[] read(FileUpload image) {
        if (image == null) {
            throw new InvalidInputException("the multipart body has no part named '" + PART
                    + "'; send the PNG or JPEG file as that part");
        }
        if (image.size() > maxImageBytes) {
            throw new ImageTooLargeException("the image file has " + image.size()
                    + " bytes, more than the limit of " + maxImageBytes);
        }
        try {
            return Files.readAllBytes(image.uploadedFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the uploaded image", e);
        }
    }
}
