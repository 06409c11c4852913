/** A multipart POST with upload progress (fetch has none): the compose form's saves and sends. */
export interface PostResult<T> {
  status: number;
  body: T & { error?: string };
}

export function postForm<T>(url: string, form: FormData, onProgress?: (fraction: number) => void): Promise<PostResult<T>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "json";
    if (onProgress) xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => resolve({ status: xhr.status, body: (xhr.response ?? { error: `HTTP ${xhr.status}` }) as T & { error?: string } });
    xhr.onerror = () => reject(new Error("The connection to the server failed"));
    xhr.send(form);
  });
}
