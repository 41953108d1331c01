"""HTTP API and demo UI for the sentiment model. `npx secure-ai scan examples` flags what is unsafe here."""
import logging
import os

import gradio as gr
import uvicorn
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from transformers import pipeline

logger = logging.getLogger(__name__)
app = FastAPI(title="sentiment")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
classifier = pipeline("sentiment-analysis", model="./models/sentiment")


class Review(BaseModel):
    text: str


# Anyone who can reach the port can query the model, and no request is logged.
@app.post("/v1/sentiment")
def sentiment(review: Review):
    return classifier(review.text)[0]


# Safe twin: a bearer token is required, and each request is logged.
@app.post("/v2/sentiment")
def sentiment_v2(review: Review, token: str = Depends(oauth2_scheme)):
    logger.info("sentiment request: %.200r", review.text)
    return classifier(review.text)[0]


def team_demo():
    ui = gr.Interface(fn=lambda text: classifier(text)[0]["label"], inputs="text", outputs="label")
    # A public gradio.live link to the model, with no login.
    ui.launch(share=True)
    # Safe twin: the shared link asks for a login.
    ui.launch(share=True, auth=("team", os.environ["DEMO_PASSWORD"]))


if __name__ == "__main__":
    # Every network interface, fixed in code.
    uvicorn.run(app, host="0.0.0.0", port=8000)
    # Safe twin: the bind address is the deployment's choice.
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=8000)
